/// One element of a comma-separated HTTP header list such as `Accept` or `Accept-Encoding` (RFC 9110 §5.6.1,
/// §12.5): a value (`text/plain`, `gzip`) and its `;`-separated parameters (`version=0.0.4`, `q=0.5`).
///
/// The element points into the header's bytes; nothing is copied.
struct HeaderListElement {
    /// The value before the first `;`, without surrounding whitespace.
    let value: Slice<UnsafeBufferPointer<UInt8>>
    /// Everything after the first `;`; empty when there are no parameters.
    let parameters: Slice<UnsafeBufferPointer<UInt8>>

    /// The value of the first parameter named `name` (compared ignoring ASCII case), with surrounding whitespace
    /// and the quotes of a quoted string removed; nil when absent.
    func parameter(_ name: StaticString) -> Slice<UnsafeBufferPointer<UInt8>>? {
        let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var found: Slice<UnsafeBufferPointer<UInt8>>?
        HeaderList.forEachSegment(of: parameters, separator: UInt8(ascii: ";")) { segment in
            guard let equals = segment.firstIndex(of: UInt8(ascii: "=")) else { return true }
            let key = HeaderList.trimmed(segment[segment.startIndex..<equals])
            guard HeaderList.equalsIgnoringCase(key, wanted) else { return true }
            found = HeaderList.unquoted(HeaderList.trimmed(segment[(equals + 1)...]))
            return false
        }
        return found
    }

    /// The weight (`q`) in thousandths: 1000 when absent. A malformed weight makes the element unacceptable (0),
    /// as goautoneg (client_golang's parser) does, and weights above 1 count as 1.
    var weight: Int {
        guard let text = parameter("q") else { return 1000 }
        return HeaderList.parseWeight(text)
    }

    /// Whether the value equals `text`, ignoring ASCII case.
    func valueEquals(_ text: StaticString) -> Bool {
        HeaderList.equalsIgnoringCase(value, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

/// Splitting of comma-separated header lists, tolerant of whitespace, empty elements and commas inside quoted
/// strings.
enum HeaderList {
    /// Calls `body` with each non-empty element of the list in `header`, in order.
    static func forEachElement<Header: Collection<UInt8>>(
        in header: Header, _ body: (HeaderListElement) -> Void
    ) {
        let handled: Void? = header.withContiguousStorageIfAvailable { bytes in
            forEachElement(inContiguous: bytes, body)
        }
        if handled == nil {
            Array(header).withUnsafeBufferPointer { forEachElement(inContiguous: $0, body) }
        }
    }

    private static func forEachElement(
        inContiguous bytes: UnsafeBufferPointer<UInt8>, _ body: (HeaderListElement) -> Void
    ) {
        forEachSegment(of: bytes[...], separator: UInt8(ascii: ",")) { segment in
            let semicolon = segment.firstIndex(of: UInt8(ascii: ";")) ?? segment.endIndex
            let value = trimmed(segment[segment.startIndex..<semicolon])
            if value.isEmpty { return true }
            let parameters = semicolon < segment.endIndex ? segment[(semicolon + 1)...] : segment[semicolon...]
            body(HeaderListElement(value: value, parameters: parameters))
            return true
        }
    }

    /// Calls `body` with each part of `bytes` between `separator`s that lie outside double-quoted strings, until
    /// `body` returns false.
    static func forEachSegment(
        of bytes: Slice<UnsafeBufferPointer<UInt8>>, separator: UInt8,
        _ body: (Slice<UnsafeBufferPointer<UInt8>>) -> Bool
    ) {
        var start = bytes.startIndex
        var index = bytes.startIndex
        var inQuotes = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == separator {
                if !body(bytes[start..<index]) { return }
                start = index + 1
            }
            index += 1
        }
        let end = min(index, bytes.endIndex)
        if start <= end { _ = body(bytes[start..<end]) }
    }

    /// `bytes` without leading and trailing spaces and tabs.
    static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// The content of a quoted string (escapes left as they are), or `bytes` when it is not quoted.
    static func unquoted(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else {
            return bytes
        }
        return bytes[(bytes.startIndex + 1)..<(bytes.endIndex - 1)]
    }

    /// Whether two byte strings are equal ignoring ASCII case.
    static func equalsIgnoringCase(
        _ lhs: Slice<UnsafeBufferPointer<UInt8>>, _ rhs: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (left, right) in zip(lhs, rhs) where lowercased(left) != lowercased(right) {
            return false
        }
        return true
    }

    /// A qvalue (`0`, `0.5`, `1.000`) in thousandths, clamped to 0...1000; 0 when malformed. Digits beyond the
    /// third decimal are ignored.
    static func parseWeight(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
        var index = text.startIndex
        var integerPart = 0
        var integerDigits = 0
        while index < text.endIndex, isDigit(text[index]) {
            integerPart = min(integerPart * 10 + Int(text[index] - UInt8(ascii: "0")), 10)
            integerDigits += 1
            index += 1
        }
        var thousandths = 0
        var fractionDigits = 0
        if index < text.endIndex, text[index] == UInt8(ascii: ".") {
            index += 1
            while index < text.endIndex, isDigit(text[index]) {
                if fractionDigits < 3 {
                    thousandths = thousandths * 10 + Int(text[index] - UInt8(ascii: "0"))
                }
                fractionDigits += 1
                index += 1
            }
        }
        guard index == text.endIndex, integerDigits + fractionDigits > 0 else { return 0 }
        while fractionDigits < 3 {
            thousandths *= 10
            fractionDigits += 1
        }
        return min(integerPart * 1000 + thousandths, 1000)
    }

    @inline(__always) private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    @inline(__always) private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always) private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
