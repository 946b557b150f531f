/// A parsed filter pattern: the syntax tree ``PatternProgram`` compiles.
indirect enum PatternNode: Equatable {
    /// Matches the empty string.
    case empty
    /// One Unicode scalar in one of the ranges (sorted, disjoint, not adjacent); no range matches nothing.
    case scalars([ClosedRange<UInt32>])
    /// `^` or `\A`: the start of the text.
    case beginText
    /// `$` or `\z`: the end of the text.
    case endText
    case concatenation([PatternNode])
    /// Two branches or more.
    case alternation([PatternNode])
    /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`; a nil `maximum` is unbounded.
    case repetition(PatternNode, minimum: Int, maximum: Int?)

    /// Whether the node compiles to no instruction at all (it can only match the empty string, unconditionally).
    var compilesToNothing: Bool {
        switch self {
        case .empty: true
        case .concatenation(let items): items.allSatisfy(\.compilesToNothing)
        case .repetition(let item, _, let maximum): maximum == 0 || item.compilesToNothing
        case .scalars, .beginText, .endText, .alternation: false
        }
    }
}

/// Parses the RE2 (Go `regexp`) syntax of node_exporter's filter flags, without flags set: `^` and `$` match only
/// at the start and end of the text, `.` matches any character but newline, negated classes match newline.
///
/// What it takes: literals; `.`; `^`, `$`, `\A`, `\z`; `|`; groups `(…)`, `(?:…)`, `(?P<name>…)`, `(?<name>…)`;
/// the greedy quantifiers `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (counts up to 1000, as Go); bracket classes with
/// ranges, negation and the POSIX classes (`[[:alpha:]]`, `[[:^alpha:]]`); the Perl classes `\d \w \s \D \W \S`
/// (ASCII, as RE2; only the positive ones inside brackets); the escapes `\n \t \r \f \v \a` and a backslash before
/// any ASCII punctuation. A `{` that does not start a valid count is a literal, as in Go.
///
/// What it refuses, each with a reason: lazy quantifiers, look-around, inline flags, backreferences, Unicode
/// classes (`\p`), other escapes, nested quantifiers (`a**`), and malformed patterns.
struct PatternParser {
    /// The largest count of a `{n,m}` repetition, as Go's.
    static let maximumRepeatCount = 1000
    /// The deepest nesting of parentheses: parsing and compiling recurse once per level.
    static let maximumNesting = 200

    /// The largest Unicode scalar value.
    static let lastScalar: UInt32 = 0x10_FFFF
    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    /// RE2's `\s`: tab, newline, form feed, carriage return and space (not vertical tab).
    static let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
    /// `.`: anything but newline.
    static let dot: [ClosedRange<UInt32>] = [0...0x09, 0x0B...lastScalar]

    private let scalars: [Unicode.Scalar]
    private var position = 0

    private init(_ source: String) {
        scalars = Array(source.unicodeScalars)
    }

    /// The syntax tree of `source`.
    static func parse(_ source: String) throws(PatternError) -> PatternNode {
        var parser = PatternParser(source)
        let node = try parser.parseAlternation(depth: 0)
        guard parser.position == parser.scalars.count else {
            // parseAlternation stops only at the end or at a `)`.
            throw PatternError(reason: "unexpected ): no ( to close")
        }
        return node
    }

    private var next: Unicode.Scalar? {
        position < scalars.count ? scalars[position] : nil
    }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private mutating func parseAlternation(depth: Int) throws(PatternError) -> PatternNode {
        var branches = [try parseConcatenation(depth: depth)]
        while next == "|" {
            position += 1
            branches.append(try parseConcatenation(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseConcatenation(depth: Int) throws(PatternError) -> PatternNode {
        var items: [PatternNode] = []
        while let scalar = next, scalar != "|", scalar != ")" {
            items.append(try parseQuantifiers(of: try parseAtom(depth: depth)))
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concatenation(items)
        }
    }

    private mutating func parseAtom(depth: Int) throws(PatternError) -> PatternNode {
        let scalar = scalars[position]
        switch scalar {
        case "(":
            return try parseGroup(depth: depth + 1)
        case "[":
            return try parseClass()
        case ".":
            position += 1
            return .scalars(Self.dot)
        case "^":
            position += 1
            return .beginText
        case "$":
            position += 1
            return .endText
        case "\\":
            switch try parseEscape(inBracket: false) {
            case .scalar(let value): return .scalars([value...value])
            case .scalars(let ranges): return .scalars(ranges)
            case .node(let node): return node
            }
        case "*", "+", "?":
            throw PatternError(reason: "missing argument to repetition operator \(scalar)")
        case "{" where try parseCount() != nil:
            throw PatternError(reason: "missing argument to repetition operator {")
        default:
            position += 1
            return .scalars([scalar.value...scalar.value])
        }
    }

    /// The quantifiers after `atom`, if any.
    private mutating func parseQuantifiers(of atom: PatternNode) throws(PatternError) -> PatternNode {
        var node = atom
        var previous: String?
        while let scalar = next {
            let start = position
            let count: (minimum: Int, maximum: Int?)
            switch scalar {
            case "*":
                position += 1
                count = (0, nil)
            case "+":
                position += 1
                count = (1, nil)
            case "?":
                position += 1
                count = (0, 1)
            case "{":
                // A `{` that is not a count is a literal, parsed as the next atom.
                guard let parsed = try parseCount() else { return node }
                count = parsed
            default:
                return node
            }
            let quantifier = String(String.UnicodeScalarView(scalars[start..<position]))
            if next == "?" {
                throw PatternError(reason: "lazy quantifiers (\(quantifier)?) are not supported")
            }
            if let previous {
                throw PatternError(
                    reason: "invalid nested repetition operator \(previous)\(quantifier): put the first in parentheses")
            }
            previous = quantifier
            node = .repetition(node, minimum: count.minimum, maximum: count.maximum)
        }
        return node
    }

    /// The counts of `{n}`, `{n,}` or `{n,m}` at the current `{`, consumed; nil (nothing consumed) when the text
    /// there is not a count, which makes the `{` a literal.
    private mutating func parseCount() throws(PatternError) -> (minimum: Int, maximum: Int?)? {
        var cursor = position + 1
        func number() -> Int? {
            let start = cursor
            var value = 0
            while cursor < scalars.count, ("0"..."9").contains(scalars[cursor]) {
                value = min(value * 10 + Int(scalars[cursor].value - 0x30), 100_000)
                cursor += 1
            }
            // Go refuses leading zeros, which leaves the `{` a literal.
            guard cursor > start, cursor - start == 1 || scalars[start] != "0" else { return nil }
            return value
        }
        guard let minimum = number() else { return nil }
        var maximum: Int? = minimum
        if cursor < scalars.count, scalars[cursor] == "," {
            cursor += 1
            maximum = cursor < scalars.count && scalars[cursor] == "}" ? nil : number()
            guard maximum != nil || (cursor < scalars.count && scalars[cursor] == "}") else { return nil }
        }
        guard cursor < scalars.count, scalars[cursor] == "}" else { return nil }
        cursor += 1
        let text = String(String.UnicodeScalarView(scalars[position..<cursor]))
        guard minimum <= Self.maximumRepeatCount, (maximum ?? 0) <= Self.maximumRepeatCount else {
            throw PatternError(reason: "invalid repeat count \(text): at most \(Self.maximumRepeatCount)")
        }
        if let maximum, maximum < minimum {
            throw PatternError(reason: "invalid repeat count \(text): the maximum is below the minimum")
        }
        position = cursor
        return (minimum, maximum)
    }

    /// A group, at its `(`.
    private mutating func parseGroup(depth: Int) throws(PatternError) -> PatternNode {
        guard depth <= Self.maximumNesting else {
            throw PatternError(reason: "the pattern nests more than \(Self.maximumNesting) parentheses deep")
        }
        position += 1
        if next == "?" {
            position += 1
            switch (next, peek(1)) {
            case (":", _):
                position += 1
            case ("P", "<"):
                position += 2
                try skipGroupName()
            case ("<", let following) where following != "=" && following != "!":
                position += 1
                try skipGroupName()
            case ("=", _), ("!", _), ("<", _):
                throw PatternError(reason: "look-around ((?=…), (?!…), (?<=…), (?<!…)) is not supported")
            default:
                throw PatternError(reason: "inline flags and other (?…) groups are not supported")
            }
        }
        let node = try parseAlternation(depth: depth)
        guard next == ")" else { throw PatternError(reason: "missing ): a ( is not closed") }
        position += 1
        return node
    }

    /// The name of a named group and its `>`: letters, digits and underscores, as Go.
    private mutating func skipGroupName() throws(PatternError) {
        let start = position
        while let scalar = next, scalar.isASCII, scalar == "_" || Self.isAlphanumeric(scalar) {
            position += 1
        }
        guard position > start, next == ">" else { throw PatternError(reason: "invalid named group: (?P<name>…)") }
        position += 1
    }

    /// A bracket class, at its `[`.
    private mutating func parseClass() throws(PatternError) -> PatternNode {
        position += 1
        let negated = next == "^"
        if negated { position += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let scalar = next else { throw PatternError(reason: "missing ]: a [ is not closed") }
            // A `]` first in the class is a literal.
            if scalar == "]" && !first {
                position += 1
                break
            }
            first = false
            if scalar == "[", peek(1) == ":", let named = try parseNamedClass() {
                ranges += named
                continue
            }
            let low: UInt32
            switch try parseClassMember() {
            case .scalars(let members):
                ranges += members
                continue
            case .scalar(let value):
                low = value
            case .node:
                preconditionFailure("escapes inside brackets are scalars or classes")
            }
            // `-` makes a range unless it ends the class (`[a-]` is `a` or `-`).
            guard next == "-", let following = peek(1), following != "]" else {
                ranges.append(low...low)
                continue
            }
            position += 1
            guard case .scalar(let high) = try parseClassMember() else {
                throw PatternError(reason: "invalid character class range: a class cannot end a range")
            }
            guard low <= high else {
                throw PatternError(
                    reason: "invalid character class range \(Self.describe(low))-\(Self.describe(high)): "
                        + "the end comes before the start")
            }
            ranges.append(low...high)
        }
        let members = Self.normalize(ranges)
        return .scalars(negated ? Self.complement(members) : members)
    }

    /// One scalar of a bracket class, or a Perl class.
    private mutating func parseClassMember() throws(PatternError) -> Escape {
        if next == "\\" { return try parseEscape(inBracket: true) }
        position += 1
        return .scalar(scalars[position - 1].value)
    }

    /// A POSIX class `[:name:]` or `[:^name:]` at the current `[`, consumed; nil when no `:]` follows (the `[` is
    /// then a literal, as in Go).
    private mutating func parseNamedClass() throws(PatternError) -> [ClosedRange<UInt32>]? {
        var end = position + 2
        while end + 1 < scalars.count, !(scalars[end] == ":" && scalars[end + 1] == "]") { end += 1 }
        guard end + 1 < scalars.count else { return nil }
        var name = String(String.UnicodeScalarView(scalars[(position + 2)..<end]))
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let members = Self.posixClasses[name] else {
            throw PatternError(reason: "invalid character class [:\(name):]")
        }
        position = end + 2
        return negated ? Self.complement(members) : members
    }

    static let posixClasses: [String: [ClosedRange<UInt32>]] = [
        "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A], "alpha": [0x41...0x5A, 0x61...0x7A], "ascii": [0...0x7F],
        "blank": [0x09...0x09, 0x20...0x20], "cntrl": [0...0x1F, 0x7F...0x7F], "digit": digit, "graph": [0x21...0x7E],
        "lower": [0x61...0x7A], "print": [0x20...0x7E],
        "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E], "space": [0x09...0x0D, 0x20...0x20],
        "upper": [0x41...0x5A], "word": word, "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66],
    ]

    private enum Escape {
        case scalar(UInt32)
        case scalars([ClosedRange<UInt32>])
        case node(PatternNode)
    }

    /// An escape, at its backslash.
    private mutating func parseEscape(inBracket: Bool) throws(PatternError) -> Escape {
        position += 1
        guard let scalar = next else { throw PatternError(reason: "trailing backslash") }
        position += 1
        switch scalar {
        case "d": return .scalars(Self.digit)
        case "w": return .scalars(Self.word)
        case "s": return .scalars(Self.space)
        case "D", "W", "S":
            guard !inBracket else { throw PatternError(reason: "\\\(scalar) inside [] is not supported") }
            let members = scalar == "D" ? Self.digit : scalar == "W" ? Self.word : Self.space
            return .scalars(Self.complement(members))
        case "n": return .scalar(0x0A)
        case "t": return .scalar(0x09)
        case "r": return .scalar(0x0D)
        case "f": return .scalar(0x0C)
        case "v": return .scalar(0x0B)
        case "a": return .scalar(0x07)
        case "A" where !inBracket: return .node(.beginText)
        case "z" where !inBracket: return .node(.endText)
        case "1"..."9": throw PatternError(reason: "backreferences (\\\(scalar)) are not supported")
        case "p", "P": throw PatternError(reason: "Unicode classes (\\\(scalar)) are not supported")
        case _ where scalar.isASCII && !Self.isAlphanumeric(scalar):
            return .scalar(scalar.value)
        default:
            throw PatternError(reason: "the escape \\\(scalar) is not supported")
        }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    /// A scalar in a message: itself when printable ASCII, its code otherwise.
    private static func describe(_ value: UInt32) -> String {
        (0x21...0x7E).contains(value) ? String(Unicode.Scalar(UInt8(value))) : "U+" + String(value, radix: 16)
    }

    /// The ranges sorted, with overlapping and adjacent ones merged.
    static func normalize(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// Every scalar value not in `ranges` (normalized).
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var low: UInt32 = 0
        for range in ranges {
            if range.lowerBound > low { result.append(low...(range.lowerBound - 1)) }
            guard range.upperBound < lastScalar else { return result }
            low = range.upperBound + 1
        }
        result.append(low...lastScalar)
        return result
    }
}
