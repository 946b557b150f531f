import CYAML

/// A YAML document as libyaml loads it: a tree of scalars, sequences and mappings, each with the line it starts on.
///
/// libyaml (the reference C implementation, Debian's libyaml) does all of the parsing; this only walks its node
/// tree. Scalars stay text; the configuration reader decides what each must be.
indirect enum YAMLNode: Equatable {
    case scalar(String, line: Int, isPlain: Bool)
    case sequence([YAMLNode], line: Int)
    case mapping([(key: YAMLNode, value: YAMLNode)], line: Int)

    /// The 1-based line the node starts on.
    var line: Int {
        switch self {
        case .scalar(_, let line, _), .sequence(_, let line), .mapping(_, let line): line
        }
    }

    /// The text of a scalar.
    var text: String? {
        if case .scalar(let text, _, _) = self { return text }
        return nil
    }

    /// A plain scalar read as an integer.
    var integer: Int? {
        guard case .scalar(let text, _, true) = self else { return nil }
        return Int(text)
    }

    /// A plain scalar read as a number.
    var number: Double? {
        guard case .scalar(let text, _, true) = self else { return nil }
        return Double(text)
    }

    /// A plain scalar read as a YAML boolean (`true`/`false`, any case, and YAML 1.1's `yes`/`no`/`on`/`off`).
    var boolean: Bool? {
        guard case .scalar(let text, _, true) = self else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a, let l, let p), .scalar(let b, let m, let q)): a == b && l == m && p == q
        case (.sequence(let a, let l), .sequence(let b, let m)): a == b && l == m
        case (.mapping(let a, let l), .mapping(let b, let m)):
            l == m && a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }
}

/// Why a YAML text could not be loaded.
struct YAMLError: Error, Equatable {
    /// The 1-based line of the problem, when libyaml gives one.
    let line: Int?
    let message: String
}

enum YAMLDocument {
    /// The deepest nesting accepted; deeper input (or an alias that refers to itself) is refused.
    static let maximumDepth = 64

    /// Loads the first document of `text`; nil when it is empty.
    static func load(_ text: String) throws(YAMLError) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else { throw YAMLError(line: nil, message: "out of memory") }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { (buffer) throws(YAMLError) -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var document = yaml_document_t()
            guard yaml_parser_load(&parser, &document) != 0 else {
                let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
                let context = parser.context.map { String(cString: $0) + ": " } ?? ""
                throw YAMLError(line: Int(parser.problem_mark.line) + 1, message: context + problem)
            }
            defer { yaml_document_delete(&document) }
            guard let root = yaml_document_get_root_node(&document) else { return nil }
            return try node(root, in: &document, depth: 0)
        }
    }

    private static func node(
        _ pointer: UnsafeMutablePointer<yaml_node_t>, in document: inout yaml_document_t, depth: Int
    ) throws(YAMLError) -> YAMLNode {
        let line = Int(pointer.pointee.start_mark.line) + 1
        guard depth < maximumDepth else { throw YAMLError(line: line, message: "nested too deeply") }
        switch pointer.pointee.type {
        case YAML_SCALAR_NODE:
            let scalar = pointer.pointee.data.scalar
            let text = String(
                decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
            return .scalar(text, line: line, isPlain: scalar.style == YAML_PLAIN_SCALAR_STYLE)
        case YAML_SEQUENCE_NODE:
            var items: [YAMLNode] = []
            var item = pointer.pointee.data.sequence.items.start
            while let current = item, current != pointer.pointee.data.sequence.items.top {
                items.append(try child(current.pointee, in: &document, depth: depth, line: line))
                item = current + 1
            }
            return .sequence(items, line: line)
        case YAML_MAPPING_NODE:
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var pair = pointer.pointee.data.mapping.pairs.start
            while let current = pair, current != pointer.pointee.data.mapping.pairs.top {
                let key = try child(current.pointee.key, in: &document, depth: depth, line: line)
                let value = try child(current.pointee.value, in: &document, depth: depth, line: line)
                pairs.append((key, value))
                pair = current + 1
            }
            return .mapping(pairs, line: line)
        default:
            throw YAMLError(line: line, message: "empty node")
        }
    }

    private static func child(
        _ index: Int32, in document: inout yaml_document_t, depth: Int, line: Int
    )
        throws(YAMLError) -> YAMLNode
    {
        guard let pointer = yaml_document_get_node(&document, index) else {
            throw YAMLError(line: line, message: "dangling node reference")
        }
        return try node(pointer, in: &document, depth: depth + 1)
    }
}
