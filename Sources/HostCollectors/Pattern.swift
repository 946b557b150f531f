import Glibc

/// A node_exporter filter pattern, compiled by glibc's POSIX regular expressions.
///
/// node_exporter's flags take Go (RE2) syntax. The patterns people write for device and mount filters use the
/// part of it that POSIX extended expressions share, plus the Perl classes `\d`, `\w`, `\s` (and their negations)
/// and non-capturing groups `(?:…)`, which are translated. What POSIX cannot express the same way (lazy
/// quantifiers, look-around, inline flags) is refused with a message rather than silently matched differently.
/// Matching searches anywhere in the name, as Go's `MatchString` does; anchor with `^…$` for a whole name.
///
/// glibc rather than Swift `Regex`: the Swift regex parser and engine would add close to a megabyte of resident
/// code to a process whose whole budget is about ten.
final class Pattern: @unchecked Sendable {
    // `@unchecked`: the compiled `regex_t` is only read after `init`, and POSIX `regexec` is safe to call from
    // several threads on one compiled expression.
    private let compiled: UnsafeMutablePointer<regex_t>
    let source: String

    init(_ source: String) throws(PatternError) {
        let translated = try Self.translate(source)
        let expression = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let status = regcomp(expression, translated, REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var message = [UInt8](repeating: 0, count: 256)
            let length = message.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { regerror(status, expression, $0.baseAddress, $0.count) }
            }
            expression.deallocate()
            throw PatternError(reason: String(decoding: message.prefix(max(0, length - 1)), as: UTF8.self))
        }
        compiled = expression
        self.source = source
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    /// Whether the pattern matches somewhere in `text`.
    func matches(_ text: String) -> Bool {
        regexec(compiled, text, 0, nil, 0) == 0
    }

    /// Rewrites RE2 syntax into POSIX extended syntax.
    static func translate(_ pattern: String) throws(PatternError) -> String {
        var output = ""
        var characters = Array(pattern)[...]
        var inBracket = false
        while let character = characters.popFirst() {
            switch character {
            case "\\":
                guard let escaped = characters.popFirst() else { throw PatternError(reason: "trailing backslash") }
                output += try escape(escaped, inBracket: inBracket)
            case "[" where !inBracket:
                inBracket = true
                output.append(character)
                // A leading `^` and a `]` right after the opening belong to the bracket expression itself.
                if characters.first == "^" { output.append(characters.removeFirst()) }
                if characters.first == "]" { output.append(characters.removeFirst()) }
            case "]" where inBracket:
                inBracket = false
                output.append(character)
            case "(" where !inBracket && characters.first == "?":
                characters.removeFirst()
                guard characters.first == ":" else {
                    throw PatternError(reason: "look-around and inline flags ((?…)) are not supported")
                }
                characters.removeFirst()
                output.append("(")
            case _ where !inBracket && "*+?}".contains(character) && characters.first == "?":
                throw PatternError(reason: "lazy quantifiers (\(character)?) are not supported")
            default:
                output.append(character)
            }
        }
        guard !inBracket else { throw PatternError(reason: "missing ]") }
        return output
    }

    private static func escape(_ character: Character, inBracket: Bool) throws(PatternError) -> String {
        let classes: [Character: (bracket: String, negated: Bool)] = [
            "d": ("0-9", false), "D": ("0-9", true), "w": ("[:alnum:]_", false), "W": ("[:alnum:]_", true),
            "s": ("[:space:]", false), "S": ("[:space:]", true),
        ]
        if let (members, negated) = classes[character] {
            if inBracket {
                guard !negated else { throw PatternError(reason: "\\\(character) inside [] is not supported") }
                return members
            }
            return "[" + (negated ? "^" : "") + members + "]"
        }
        switch character {
        case "n": return "\n"
        case "t": return "\t"
        case _ where character.isLetter || character.isNumber:
            throw PatternError(reason: "the escape \\\(character) is not supported")
        case _ where inBracket:
            // POSIX bracket expressions take every character literally; `]` and `-` work when placed first/last.
            guard character != "]" && character != "-" else {
                throw PatternError(reason: "write \(character) first in the bracket expression instead of escaping it")
            }
            return character == "\\" ? "\\" : String(character)
        default:
            return "\\" + String(character)
        }
    }
}

/// Why a filter pattern was refused.
struct PatternError: Error, Equatable {
    let reason: String
}
