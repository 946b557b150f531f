/// The software RAID (md) arrays of /proc/mdstat:
///
/// ```
/// Personalities : [raid1] [raid6] [raid5] [raid4]
/// md1 : active raid5 sdg1[4](S) sdf1[3] sde1[1](F) sdd1[0]
///       20953088 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/2] [U_U]
///       [==>..................]  recovery = 12.5% (1309568/10476544) finish=1.5min speed=100000K/sec
///
/// unused devices: <none>
/// ```
///
/// Parsed as node_exporter's procfs 0.8 parses it, so that arrays get the same numbers and states: per array, the
/// device line, the status line after it, and the line after that (or the one after a `bitmap:` line), which shows
/// a recovery, resync or check in progress. See https://raid.wiki.kernel.org/index.php/Mdstat.
public struct MDStat: Sendable, Equatable {
    /// One array.
    public struct Array: Sendable, Equatable {
        /// The device name, e.g. `md0`.
        public let name: String
        /// `active` or `inactive` from the device line, or `recovering`, `resyncing` or `checking` while the sync
        /// line shows that activity.
        public let activityState: String
        /// Disks in use: the second number of `[n/m]`, or the member count of raid0 and linear arrays.
        public let activeDisks: Int64
        /// Disks the array needs: the first number of `[n/m]`.
        public let requiredDisks: Int64
        /// Members marked `(F)`.
        public let failedDisks: Int64
        /// Members marked `(S)`.
        public let spareDisks: Int64
        /// Missing members: the `_` in `[U_U]`.
        public let downDisks: Int64
        /// The size in 1 KiB blocks.
        public let blocks: Int64
        /// Blocks in sync: `blocks`, or the progress of a running sync, or 0 for a pending or delayed one.
        public let syncedBlocks: Int64

        public init(
            name: String, activityState: String, activeDisks: Int64, requiredDisks: Int64, failedDisks: Int64,
            spareDisks: Int64, downDisks: Int64, blocks: Int64, syncedBlocks: Int64
        ) {
            self.name = name
            self.activityState = activityState
            self.activeDisks = activeDisks
            self.requiredDisks = requiredDisks
            self.failedDisks = failedDisks
            self.spareDisks = spareDisks
            self.downDisks = downDisks
            self.blocks = blocks
            self.syncedBlocks = syncedBlocks
        }
    }

    /// The arrays in file order.
    public let arrays: [Array]

    static let file = "/proc/mdstat"

    /// Parses /proc/mdstat. Lines that are blank, start with a space, or start with `Personalities` or `unused`
    /// are not device lines. A device line with fewer than three fields or fewer than three lines after it, a status
    /// line without a leading block count (or, except for raid0, linear and inactive arrays, without `[n/m] [U_]`),
    /// and a sync line without its progress, percentage, finish time and speed are malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> MDStat {
        // Split on every newline, keeping a last empty line as Go's strings.Split does.
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for index in bytes.indices where bytes[index] == ASCII.newline {
            lines.append(bytes[start..<index])
            start = index + 1
        }
        lines.append(bytes[start...])

        var arrays: [Array] = []
        for (index, line) in lines.enumerated() {
            if isBlank(line) || line.first == ASCII.space || line.starts(with: "Personalities".utf8)
                || line.starts(with: "unused".utf8)
            {
                continue
            }
            let fields = fieldsOf(line)
            guard fields.count >= 3 else {
                throw malformed(line: index + 1, "not enough fields in md device line (expected at least 3)")
            }
            let name = String(decoding: fields[0], as: UTF8.self)
            var state = String(decoding: fields[2], as: UTF8.self)
            guard lines.count > index + 3 else {
                throw malformed(line: index + 1, "too few lines for md device \(name)")
            }
            let failed = Int64(count(of: "(F)", in: line))
            let spare = Int64(count(of: "(S)", in: line))
            guard let status = evaluateStatus(deviceLine: line, statusLine: lines[index + 1]) else {
                throw malformed(line: index + 2, "unexpected status line of md device \(name)")
            }
            let syncIndex = contains("bitmap", in: lines[index + 2]) ? index + 3 : index + 2
            let syncLine = lines[syncIndex]
            var synced = status.blocks
            let recovering = contains("recovery", in: syncLine)
            let resyncing = contains("resync", in: syncLine)
            let checking = contains("check", in: syncLine)
            if recovering || resyncing || checking {
                state = recovering ? "recovering" : checking ? "checking" : "resyncing"
                if contains("PENDING", in: syncLine) || contains("DELAYED", in: syncLine) {
                    synced = 0
                } else {
                    guard let progress = syncedBlocks(inSyncLine: syncLine) else {
                        throw malformed(line: syncIndex + 1, "unexpected sync line of md device \(name)")
                    }
                    synced = progress
                }
            }
            arrays.append(
                Array(
                    name: name, activityState: state, activeDisks: status.active, requiredDisks: status.total,
                    failedDisks: failed, spareDisks: spare, downDisks: status.down, blocks: status.blocks,
                    syncedBlocks: synced))
        }
        return MDStat(arrays: arrays)
    }

    private static func malformed(line: Int, _ reason: String) -> ProcFSError {
        .malformed(file: file, line: line, reason: reason)
    }

    /// procfs's `evalStatusLine`: active, total and down disks and the size, or nil.
    private static func evaluateStatus(
        deviceLine: ArraySlice<UInt8>, statusLine: ArraySlice<UInt8>
    ) -> (active: Int64, total: Int64, down: Int64, blocks: Int64)? {
        guard let first = fieldsOf(statusLine).first, let blocks = signedDecimal(first) else { return nil }
        if contains("raid0", in: deviceLine) || contains("linear", in: deviceLine) {
            // Only the members carry a number in brackets on the device line.
            let members = Int64(count(of: "[", in: deviceLine))
            return (members, members, 0, blocks)
        }
        if contains("inactive", in: deviceLine) { return (0, 0, 0, blocks) }
        // `(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]`, the bracket pair as far right as it occurs.
        let text = statusLine
        guard
            let blocksWord = firstRange(
                of: " blocks ", in: text, where: { $0 > text.startIndex && isDigit(text[$0 - 1]) })
        else { return nil }
        var candidate = text.endIndex
        while candidate > blocksWord.upperBound {
            candidate -= 1
            guard text[candidate] == UInt8(ascii: "["), let match = diskCounts(in: text, at: candidate) else {
                continue
            }
            return (match.active, match.total, match.down, blocks)
        }
        return nil
    }

    /// `\[(\d+)/(\d+)\] \[([U_]+)\]` at `start`: (total, active, down).
    private static func diskCounts(
        in text: ArraySlice<UInt8>, at start: Int
    ) -> (total: Int64, active: Int64, down: Int64)? {
        var index = start + 1
        func digits() -> Int64? {
            let begin = index
            while index < text.endIndex && isDigit(text[index]) { index += 1 }
            return index > begin ? signedDecimal(text[begin..<index]) : nil
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < text.endIndex && text[index] == byte else { return false }
            index += 1
            return true
        }
        guard let total = digits(), expect(ASCII.slash), let active = digits(), expect(UInt8(ascii: "]")),
            expect(ASCII.space), expect(UInt8(ascii: "["))
        else { return nil }
        var down: Int64 = 0
        let begin = index
        while index < text.endIndex && (text[index] == UInt8(ascii: "U") || text[index] == UInt8(ascii: "_")) {
            if text[index] == UInt8(ascii: "_") { down += 1 }
            index += 1
        }
        guard index > begin, expect(UInt8(ascii: "]")) else { return nil }
        return (total, active, down)
    }

    /// procfs's `evalRecoveryLine`: the blocks synced, from `(synced/total)`, provided the percentage
    /// (`= <n>%`), finish time (`finish=<n>min`) and speed (`speed=<n>K/sec`) are there and numeric.
    private static func syncedBlocks(inSyncLine line: ArraySlice<UInt8>) -> Int64? {
        // `\((\d+)/\d+\)`, leftmost.
        var synced: Int64?
        var index = line.startIndex
        while index < line.endIndex, synced == nil {
            defer { index += 1 }
            guard line[index] == UInt8(ascii: "(") else { continue }
            var end = index + 1
            while end < line.endIndex && isDigit(line[end]) { end += 1 }
            guard end > index + 1, end < line.endIndex, line[end] == ASCII.slash else { continue }
            var close = end + 1
            while close < line.endIndex && isDigit(line[close]) { close += 1 }
            guard close > end + 1, close < line.endIndex, line[close] == UInt8(ascii: ")") else { continue }
            synced = signedDecimal(line[(index + 1)..<end])
        }
        guard let synced else { return nil }
        // `= (.+)%`, `finish=(.+)min` and `speed=(.+)[A-Z]`: greedy, so up to the last terminator.
        guard let equals = firstRange(of: "= ", in: line),
            let percent = lastIndex(in: line[equals.upperBound...], where: { $0 == UInt8(ascii: "%") }),
            percent > equals.upperBound, isNumber(trimmingBlanks(line[equals.upperBound..<percent])),
            let finish = firstRange(of: "finish=", in: line),
            let minutes = lastRange(of: "min", in: line[finish.upperBound...]), minutes.lowerBound > finish.upperBound,
            isNumber(line[finish.upperBound..<minutes.lowerBound]),
            let speed = firstRange(of: "speed=", in: line),
            let unit = lastIndex(in: line[speed.upperBound...], where: { $0 >= 65 && $0 <= 90 }),
            unit > speed.upperBound, isNumber(line[speed.upperBound..<unit])
        else { return nil }
        return synced
    }

    // MARK: Byte helpers

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= ASCII.zero && byte <= ASCII.zero + 9 }

    private static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == ASCII.space || (9...13).contains($0) }
    }

    private static func trimmingBlanks(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && ASCII.isBlank(bytes[start]) { start += 1 }
        while end > start && ASCII.isBlank(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// Whether the bytes are a decimal number as `strconv.ParseFloat` takes the kernel's (`12.5`, `1.5`, `100000`).
    private static func isNumber(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.withUnsafeBytes { $0.decimalDouble() } != nil
    }

    private static func signedDecimal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        bytes.withUnsafeBytes { $0.decimalInt64() }
    }

    /// The fields of a line separated by blanks.
    private static func fieldsOf(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var fields: [ArraySlice<UInt8>] = []
        var index = line.startIndex
        while index < line.endIndex {
            while index < line.endIndex && ASCII.isBlank(line[index]) { index += 1 }
            let start = index
            while index < line.endIndex && !ASCII.isBlank(line[index]) { index += 1 }
            if index > start { fields.append(line[start..<index]) }
        }
        return fields
    }

    private static func firstRange(
        of needle: StaticString, in haystack: ArraySlice<UInt8>, where accept: (Int) -> Bool = { _ in true }
    ) -> Range<Int>? {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard haystack.count >= pattern.count else { return nil }
        for start in haystack.startIndex...(haystack.endIndex - pattern.count)
        where haystack[start..<(start + pattern.count)].elementsEqual(pattern) && accept(start) {
            return start..<(start + pattern.count)
        }
        return nil
    }

    private static func lastRange(of needle: StaticString, in haystack: ArraySlice<UInt8>) -> Range<Int>? {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard haystack.count >= pattern.count else { return nil }
        for start in (haystack.startIndex...(haystack.endIndex - pattern.count)).reversed()
        where haystack[start..<(start + pattern.count)].elementsEqual(pattern) {
            return start..<(start + pattern.count)
        }
        return nil
    }

    private static func lastIndex(in bytes: ArraySlice<UInt8>, where predicate: (UInt8) -> Bool) -> Int? {
        bytes.lastIndex(where: predicate)
    }

    private static func contains(_ needle: StaticString, in haystack: ArraySlice<UInt8>) -> Bool {
        firstRange(of: needle, in: haystack) != nil
    }

    private static func count(of needle: StaticString, in haystack: ArraySlice<UInt8>) -> Int {
        var total = 0
        var rest = haystack
        while let found = firstRange(of: needle, in: rest) {
            total += 1
            rest = rest[found.upperBound...]
        }
        return total
    }
}
