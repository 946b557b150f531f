/// A node_exporter filter pattern: Go (RE2) syntax, parsed by ``PatternParser`` and run by ``PatternProgram``.
///
/// Matching searches anywhere in the name, as Go's `MatchString` does; anchor with `^…$` for a whole name. It takes
/// time linear in the length of the name, allocates nothing on the heap for a short program (the threads live in a
/// per-call buffer on the stack), and keeps only the compiled program: a few bytes per instruction.
///
/// An engine of our own rather than glibc's `regcomp`, whose lazily built DFA kept about 500 KB resident for the
/// default netstat pattern, or Swift `Regex`, which would add close to a megabyte of resident code to a process whose
/// whole budget is about ten.
struct Pattern: Sendable {
    private let program: PatternProgram
    let source: String

    init(_ source: String) throws(PatternError) {
        program = try PatternProgram(PatternParser.parse(source))
        self.source = source
    }

    /// Whether the pattern matches somewhere in `text`.
    func matches(_ text: String) -> Bool {
        program.matches(text)
    }
}

/// Why a filter pattern was refused.
struct PatternError: Error, Equatable {
    let reason: String
}
