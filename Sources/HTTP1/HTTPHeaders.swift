/// An ordered list of header fields, as received or as to be sent.
///
/// Names keep their original spelling and order; lookups ignore ASCII case (RFC 9110 §5.1). The fields share one
/// byte buffer, so a parsed request costs two allocations however many headers it has, and `String`s are only
/// made when a caller asks for a name or value.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// Where one field's name and value lie in `storage`.
    private struct Field: Sendable {
        var name: Range<Int>
        var value: Range<Int>
    }

    private var storage: [UInt8] = []
    private var fields: [Field] = []

    /// No fields.
    public init() {}

    /// The fields in the order given; a name may repeat.
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements {
            append(name: name, value: value)
        }
    }

    /// The number of fields, counting repeated names separately.
    public var count: Int { fields.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    /// Adds a field after the existing ones. The name should be a token and the value free of CR, LF and other
    /// controls; the writer sends both as given.
    public mutating func append(name: String, value: String) {
        let nameStart = storage.count
        storage.append(contentsOf: name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: value.utf8)
        fields.append(Field(name: nameStart..<valueStart, value: valueStart..<storage.count))
    }

    /// Adds a field whose name and value are bytes of a parsed request.
    mutating func append(name: UnsafeBufferPointer<UInt8>.SubSequence, value: UnsafeBufferPointer<UInt8>.SubSequence) {
        let nameStart = storage.count
        storage.append(contentsOf: name)
        let valueStart = storage.count
        storage.append(contentsOf: value)
        fields.append(Field(name: nameStart..<valueStart, value: valueStart..<storage.count))
    }

    /// The values of every field named `name` (any case) joined by ", ", the combined field value of
    /// RFC 9110 §5.3; nil when there is none.
    public subscript(name: String) -> String? {
        var combined: [UInt8]?
        for field in fields where nameMatches(field, name) {
            if combined == nil {
                combined = []
            } else {
                combined?.append(ASCII.comma)
                combined?.append(ASCII.space)
            }
            combined?.append(contentsOf: storage[field.value])
        }
        return combined.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The value of each field named `name` (any case), in order.
    public func values(forName name: String) -> [String] {
        fields.filter { nameMatches($0, name) }.map { String(decoding: storage[$0.value], as: UTF8.self) }
    }

    /// Whether a field named `name` (any case) is present.
    public func contains(name: String) -> Bool {
        fields.contains { nameMatches($0, name) }
    }

    /// Whether the comma-separated lists in the fields named `name` contain `token`, both compared ignoring ASCII
    /// case; e.g. `containsToken("close", inFieldsNamed: "Connection")` (RFC 9110 §7.6.1).
    public func containsToken(_ token: String, inFieldsNamed name: String) -> Bool {
        for field in fields where nameMatches(field, name) {
            var elementStart = field.value.lowerBound
            for index in field.value.lowerBound...field.value.upperBound {
                guard index == field.value.upperBound || storage[index] == ASCII.comma else { continue }
                if trimmedEqualsIgnoringCase(elementStart..<index, token) { return true }
                elementStart = index + 1
            }
        }
        return false
    }

    /// Calls `body` with the name and value bytes of each field in order, without making strings.
    func forEachField(_ body: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void) {
        for field in fields {
            body(storage[field.name], storage[field.value])
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(headers: self)
    }

    /// Yields `(name, value)` pairs in order.
    public struct Iterator: IteratorProtocol {
        private let headers: HTTPHeaders
        private var index = 0

        fileprivate init(headers: HTTPHeaders) {
            self.headers = headers
        }

        public mutating func next() -> (name: String, value: String)? {
            guard index < headers.fields.count else { return nil }
            let field = headers.fields[index]
            index += 1
            return (
                String(decoding: headers.storage[field.name], as: UTF8.self),
                String(decoding: headers.storage[field.value], as: UTF8.self)
            )
        }
    }

    /// Equal when the same names (exact spelling) carry the same values in the same order.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (left, right) in zip(lhs.fields, rhs.fields) {
            guard lhs.storage[left.name] == rhs.storage[right.name],
                lhs.storage[left.value] == rhs.storage[right.value]
            else { return false }
        }
        return true
    }

    private func nameMatches(_ field: Field, _ name: String) -> Bool {
        equalsIgnoringCase(field.name, name)
    }

    private func trimmedEqualsIgnoringCase(_ range: Range<Int>, _ text: String) -> Bool {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, ASCII.isWhitespace(storage[lower]) { lower += 1 }
        while upper > lower, ASCII.isWhitespace(storage[upper - 1]) { upper -= 1 }
        return equalsIgnoringCase(lower..<upper, text)
    }

    private func equalsIgnoringCase(_ range: Range<Int>, _ text: String) -> Bool {
        guard range.count == text.utf8.count else { return false }
        var index = range.lowerBound
        for byte in text.utf8 {
            guard ASCII.lowercased(storage[index]) == ASCII.lowercased(byte) else { return false }
            index += 1
        }
        return true
    }
}

extension HTTPHeaders: CustomStringConvertible {
    /// The fields one per line as `Name: value`, for logs and test failures.
    public var description: String {
        map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}
