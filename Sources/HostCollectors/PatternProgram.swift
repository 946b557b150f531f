/// One instruction of a ``PatternProgram``. Targets are instruction indices.
enum PatternInstruction: Equatable, Sendable {
    /// Consumes one scalar whose value is in `low...high`.
    case scalar(low: UInt32, high: UInt32)
    /// Consumes one scalar whose value is in one of the program's `ranges[start..<end]`.
    case scalarSet(start: Int32, end: Int32)
    /// Continues at both targets.
    case split(Int32, Int32)
    case jump(Int32)
    /// Continues only at the start of the text.
    case beginText
    /// Continues only at the end of the text.
    case endText
    case match
}

/// A pattern compiled to a Thompson NFA, run by simulating every thread at once: linear in the length of the text
/// times the size of the program, whatever the pattern (`(a*)*b` included).
///
/// The text is matched as Unicode scalars, as Go matches runes: `.` and a negated class consume one whole
/// character, however many UTF-8 bytes it takes.
struct PatternProgram: Sendable {
    /// The most instructions a pattern may compile to, once its counted repetitions are expanded.
    static let maximumSize = 10_000

    let instructions: [PatternInstruction]
    /// The ranges of the `scalarSet` instructions.
    let ranges: [ClosedRange<UInt32>]
    /// Whether a match can start only at the start of the text (the pattern begins with `^` in every branch), so
    /// that the search stops as soon as no thread is left.
    let isAnchored: Bool

    init(_ node: PatternNode) throws(PatternError) {
        var compiler = Compiler()
        try compiler.compile(node)
        _ = try compiler.emit(.match)
        instructions = compiler.instructions
        ranges = compiler.ranges
        isAnchored = !Self.canStart(instructions, notAtBeginning: 0)
    }

    /// Whether some thread started from `pc` away from the start of the text reaches an instruction that consumes
    /// or matches.
    private static func canStart(_ instructions: [PatternInstruction], notAtBeginning pc: Int) -> Bool {
        var visited = [Bool](repeating: false, count: instructions.count)
        var pending = [pc]
        while let pc = pending.popLast() {
            guard !visited[pc] else { continue }
            visited[pc] = true
            switch instructions[pc] {
            case .scalar, .scalarSet, .match: return true
            case .split(let first, let second): pending += [Int(first), Int(second)]
            case .jump(let target): pending.append(Int(target))
            case .beginText: break
            case .endText: pending.append(pc + 1)
            }
        }
        return false
    }

    private struct Compiler {
        var instructions: [PatternInstruction] = []
        var ranges: [ClosedRange<UInt32>] = []
        /// Where each class already emitted is in `ranges`, so that a repeated class is stored once.
        var classes: [[ClosedRange<UInt32>]: (start: Int32, end: Int32)] = [:]

        var next: Int32 { Int32(instructions.count) }

        mutating func emit(_ instruction: PatternInstruction) throws(PatternError) -> Int {
            guard instructions.count < PatternProgram.maximumSize else {
                throw PatternError(
                    reason: "the pattern is too large: more than \(PatternProgram.maximumSize) instructions "
                        + "once its repetitions are expanded")
            }
            instructions.append(instruction)
            return instructions.count - 1
        }

        mutating func compile(_ node: PatternNode) throws(PatternError) {
            switch node {
            case .empty:
                break
            case .scalars(let members):
                if members.count == 1 {
                    _ = try emit(.scalar(low: members[0].lowerBound, high: members[0].upperBound))
                } else {
                    let location =
                        classes[members]
                        ?? {
                            let location = (Int32(ranges.count), Int32(ranges.count + members.count))
                            ranges += members
                            classes[members] = location
                            return location
                        }()
                    _ = try emit(.scalarSet(start: location.start, end: location.end))
                }
            case .beginText:
                _ = try emit(.beginText)
            case .endText:
                _ = try emit(.endText)
            case .concatenation(let items):
                for item in items { try compile(item) }
            case .alternation(let branches):
                var jumps: [Int] = []
                for branch in branches.dropLast() {
                    let split = try emit(.split(0, 0))
                    try compile(branch)
                    jumps.append(try emit(.jump(0)))
                    instructions[split] = .split(Int32(split + 1), next)
                }
                try compile(branches[branches.count - 1])
                for jump in jumps { instructions[jump] = .jump(next) }
            case .repetition(let item, let minimum, let maximum):
                try compileRepetition(of: item, minimum: minimum, maximum: maximum)
            }
        }

        private mutating func compileRepetition(
            of item: PatternNode, minimum: Int, maximum: Int?
        )
            throws(PatternError)
        {
            // Repeating what matches only the empty string matches the same; this also bounds the work of
            // compiling `((){1000}){1000}`, which emits nothing.
            guard maximum != 0, !item.compilesToNothing else { return }
            guard let maximum else {
                if minimum == 0 {
                    // loop: split body, end; body; jump loop
                    let loop = try emit(.split(0, 0))
                    try compile(item)
                    _ = try emit(.jump(Int32(loop)))
                    instructions[loop] = .split(Int32(loop + 1), next)
                } else {
                    // body (minimum - 1 times), then: loop: body; split loop, end
                    for _ in 1..<minimum { try compile(item) }
                    let loop = next
                    try compile(item)
                    _ = try emit(.split(loop, next + 1))
                }
                return
            }
            for _ in 0..<minimum { try compile(item) }
            // Each optional copy may be skipped to the end: x{2,4} is xx(x(x)?)?.
            var splits: [Int] = []
            for _ in minimum..<maximum {
                splits.append(try emit(.split(0, 0)))
                try compile(item)
            }
            for split in splits { instructions[split] = .split(Int32(split + 1), next) }
        }
    }

    /// Whether the program matches somewhere in `text`.
    func matches(_ text: String) -> Bool {
        let size = instructions.count
        // Two sets of threads (a dense list and a sparse index each) and the stack of the closure walk.
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 5 * size) { scratch in
            scratch.initialize(repeating: 0)
            func slice(_ index: Int) -> UnsafeMutableBufferPointer<Int32> {
                UnsafeMutableBufferPointer(rebasing: scratch[(index * size)..<((index + 1) * size)])
            }
            var current = ThreadSet(dense: slice(0), sparse: slice(1))
            var following = ThreadSet(dense: slice(2), sparse: slice(3))
            let stack = slice(4)
            var scalars = text.unicodeScalars.makeIterator()
            var scalar = scalars.next()
            if addThreads(from: 0, to: &current, stack: stack, atBeginning: true, atEnd: scalar == nil) {
                return true
            }
            while let value = scalar?.value {
                let after = scalars.next()
                let atEnd = after == nil
                following.removeAll()
                for index in 0..<current.count {
                    let pc = Int(current.dense[index])
                    let consumes: Bool
                    switch instructions[pc] {
                    case .scalar(let low, let high): consumes = low <= value && value <= high
                    case .scalarSet(let start, let end): consumes = contains(value, start: start, end: end)
                    default: consumes = false
                    }
                    if consumes,
                        addThreads(from: pc + 1, to: &following, stack: stack, atBeginning: false, atEnd: atEnd)
                    {
                        return true
                    }
                }
                if !isAnchored {
                    // The unanchored search: a new thread starts at every position, as if behind a lazy `.*`.
                    if addThreads(from: 0, to: &following, stack: stack, atBeginning: false, atEnd: atEnd) {
                        return true
                    }
                } else if following.count == 0 {
                    return false
                }
                swap(&current, &following)
                scalar = after
            }
            return false
        }
    }

    private func contains(_ value: UInt32, start: Int32, end: Int32) -> Bool {
        for index in Int(start)..<Int(end) where ranges[index].contains(value) { return true }
        return false
    }

    /// Adds the thread at `pc` and every thread it reaches without consuming (through splits, jumps and the
    /// assertions that hold here) to `threads`; true when one of them is the match.
    private func addThreads(
        from pc: Int, to threads: inout ThreadSet, stack: UnsafeMutableBufferPointer<Int32>, atBeginning: Bool,
        atEnd: Bool
    ) -> Bool {
        var depth = 0
        func push(_ pc: Int) {
            // Each instruction is pushed at most once per set, so the stack never holds more than the program.
            guard threads.insert(pc) else { return }
            stack[depth] = Int32(pc)
            depth += 1
        }
        push(pc)
        while depth > 0 {
            depth -= 1
            let pc = Int(stack[depth])
            switch instructions[pc] {
            case .match: return true
            case .split(let first, let second):
                push(Int(first))
                push(Int(second))
            case .jump(let target): push(Int(target))
            case .beginText: if atBeginning { push(pc + 1) }
            case .endText: if atEnd { push(pc + 1) }
            case .scalar, .scalarSet: break
            }
        }
        return false
    }
}

/// A set of program counters that is cleared in constant time (Briggs and Torczon's sparse set): `pc` is in it when
/// `dense[sparse[pc]] == pc` for an index below `count`, whatever else `sparse` holds.
private struct ThreadSet {
    let dense: UnsafeMutableBufferPointer<Int32>
    let sparse: UnsafeMutableBufferPointer<Int32>
    private(set) var count = 0

    init(dense: UnsafeMutableBufferPointer<Int32>, sparse: UnsafeMutableBufferPointer<Int32>) {
        self.dense = dense
        self.sparse = sparse
    }

    /// Adds `pc`; false when it was already there.
    mutating func insert(_ pc: Int) -> Bool {
        let index = Int(sparse[pc])
        if index < count && Int(dense[index]) == pc { return false }
        sparse[pc] = Int32(count)
        dense[count] = Int32(pc)
        count += 1
        return true
    }

    mutating func removeAll() {
        count = 0
    }
}
