/// The name of an hwmon attribute file, `<type><number>_<property>` (`temp1_input`, `fan2_min`, `in0_label`,
/// `pwm1`, `beep_enable`), split as node_exporter's hwmon collector splits it with the regular expression
/// `^(?P<type>[^0-9]+)(?P<id>[0-9]*)?(_(?P<property>.+))?$` (collector/hwmon_linux.go).
///
/// See https://docs.kernel.org/hwmon/sysfs-interface.html.
public struct HwmonAttribute: Sendable, Equatable {
    /// The sensor type: `temp`, `in`, `fan`, ... (`beep_enable` and `update_interval` are types of their own).
    public let type: String
    /// The sensor number; 0 when the name has none.
    public let number: Int
    /// What the file holds: `input`, `max`, `label`, ...; empty for a file named after the sensor alone (`pwm1`).
    public let property: String

    public init(type: String, number: Int, property: String) {
        self.type = type
        self.number = number
        self.property = property
    }

    /// The sensor, `<type><number>`, as the `sensor` label shows it (`temp01_input` is sensor `temp1`).
    public var sensor: String { type + String(number) }

    /// Splits a file name; nil when the regular expression does not match it (`1abc`, `fan1x`) or its number does
    /// not fit an `Int`.
    ///
    /// Go's regular expressions prefer the longest `type` that still lets the whole name match: `temp_input` is
    /// type `temp_input`, while `fan_1x` (which cannot match with type `fan_`) is type `fan`, property `1x`.
    public static func parse(fileName name: String) -> HwmonAttribute? {
        let bytes = Array(name.utf8)
        var run = 0
        while run < bytes.count && !isDigit(bytes[run]) { run += 1 }
        guard run > 0 else { return nil }
        var digitsEnd = run
        while digitsEnd < bytes.count && isDigit(bytes[digitsEnd]) { digitsEnd += 1 }
        let rest = bytes[digitsEnd...]
        if rest.isEmpty || (rest.first == UInt8(ascii: "_") && rest.count >= 2) {
            let digits = bytes[run..<digitsEnd]
            var number = 0
            for digit in digits {
                let (shifted, overflowMultiplying) = number.multipliedReportingOverflow(by: 10)
                let (sum, overflowAdding) = shifted.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                guard !overflowMultiplying && !overflowAdding else { return nil }
                number = sum
            }
            return HwmonAttribute(
                type: String(decoding: bytes[..<run], as: UTF8.self), number: number,
                property: rest.isEmpty ? "" : String(decoding: rest.dropFirst(), as: UTF8.self))
        }
        // A shorter type: it must be followed directly by `_` and at least one byte.
        var split = run - 1
        while split >= 1 {
            if bytes[split] == UInt8(ascii: "_") {
                return HwmonAttribute(
                    type: String(decoding: bytes[..<split], as: UTF8.self), number: 0,
                    property: String(decoding: bytes[(split + 1)...], as: UTF8.self))
            }
            split -= 1
        }
        return nil
    }

    /// node_exporter's `cleanMetricName`: lower case, every byte outside `[a-z0-9:_]` replaced by `_`, and `_`
    /// trimmed from both ends. Used for chip names and for properties in metric names.
    public static func cleanName(_ name: String) -> String {
        var bytes = Array(name.lowercased().utf8)
        for index in bytes.indices {
            let byte = bytes[index]
            let allowed =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || isDigit(byte) || byte == UInt8(ascii: ":")
                || byte == UInt8(ascii: "_")
            if !allowed { bytes[index] = UInt8(ascii: "_") }
        }
        // Go's regular expression replaces each character outside the class, not each byte: a multi-byte character
        // becomes one `_`, so the continuation bytes are dropped.
        var collapsed: [UInt8] = []
        collapsed.reserveCapacity(bytes.count)
        let original = Array(name.lowercased().utf8)
        for index in bytes.indices where !(original[index] & 0xC0 == 0x80) {
            collapsed.append(bytes[index])
        }
        var start = 0
        var end = collapsed.count
        while start < end && collapsed[start] == UInt8(ascii: "_") { start += 1 }
        while end > start && collapsed[end - 1] == UInt8(ascii: "_") { end -= 1 }
        return String(decoding: collapsed[start..<end], as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
