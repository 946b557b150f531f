/// The files of a clocksource device, /sys/devices/system/clocksource/clocksource<N>/: `available_clocksource`, the
/// clocksources the kernel could use, separated by spaces (`tsc kvm-clock acpi_pm \n`), and `current_clocksource`,
/// the one in use (`tsc\n`).
///
/// See https://docs.kernel.org/timers/timekeeping.html. As node_exporter's procfs reads them, neither file can be
/// malformed: blanks separate names and surround the current one, and an empty file has no names.
public enum ClockSource {
    /// The names in an `available_clocksource` file, in file order. A name equal to one of `knownNames` (those of
    /// the previous read) is that string rather than a new one.
    public static func parseAvailable(_ bytes: [UInt8], knownNames: [String] = []) -> [String] {
        bytes.withUnsafeBytes { raw in
            var names: [String] = []
            var hint = 0
            var lines = LineScanner(raw)
            while let line = lines.next() {
                var fields = FieldScanner(line)
                while let name = fields.next() {
                    names.append(name.string(matching: knownNames, hint: &hint))
                }
            }
            return names
        }
    }

    /// The name in a `current_clocksource` file, without surrounding blanks and newlines; `known` is returned
    /// instead of a new string when it is equal.
    public static func parseCurrent(_ bytes: [UInt8], known: String = "") -> String {
        bytes.withUnsafeBytes { raw in
            var start = 0
            var end = raw.count
            while start < end && isSpace(raw[start]) { start += 1 }
            while end > start && isSpace(raw[end - 1]) { end -= 1 }
            var hint = 0
            return UnsafeRawBufferPointer(rebasing: raw[start..<end]).string(matching: [known], hint: &hint)
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        ASCII.isBlank(byte) || byte == ASCII.newline || byte == UInt8(ascii: "\r")
    }
}
