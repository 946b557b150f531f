/// One line of /proc/diskstats: the I/O counters of a block device or partition.
///
/// The line is `<major> <minor> <name>` and 11 counters; kernel 4.18 added 4 discard counters (18 columns) and 5.5
/// added 2 flush counters (20 columns). Sectors are 512 bytes regardless of the device; times are milliseconds.
/// See https://docs.kernel.org/admin-guide/iostats.html.
public struct DiskStats: Sendable, Equatable {
    /// Discard counters (kernel 4.18+).
    public struct Discards: Sendable, Equatable {
        /// Field 12: discards completed successfully.
        public let completed: UInt64
        /// Field 13: adjacent discards merged.
        public let merged: UInt64
        /// Field 14: sectors discarded.
        public let sectors: UInt64
        /// Field 15: milliseconds spent discarding.
        public let milliseconds: UInt64
    }

    /// Flush counters (kernel 5.5+).
    public struct Flushes: Sendable, Equatable {
        /// Field 16: flush requests completed successfully.
        public let completed: UInt64
        /// Field 17: milliseconds spent flushing.
        public let milliseconds: UInt64
    }

    public let major: UInt32
    public let minor: UInt32
    /// The kernel's device name, e.g. `sda`, `nvme0n1p1`, `dm-0`.
    public let device: String
    /// Field 1: reads completed successfully.
    public let readsCompleted: UInt64
    /// Field 2: adjacent reads merged.
    public let readsMerged: UInt64
    /// Field 3: sectors read.
    public let sectorsRead: UInt64
    /// Field 4: milliseconds spent reading.
    public let readMilliseconds: UInt64
    /// Field 5: writes completed successfully.
    public let writesCompleted: UInt64
    /// Field 6: adjacent writes merged.
    public let writesMerged: UInt64
    /// Field 7: sectors written.
    public let sectorsWritten: UInt64
    /// Field 8: milliseconds spent writing.
    public let writeMilliseconds: UInt64
    /// Field 9: I/Os currently in progress (the only gauge).
    public let ioInProgress: UInt64
    /// Field 10: milliseconds during which the device had I/O in flight.
    public let ioMilliseconds: UInt64
    /// Field 11: weighted milliseconds doing I/O (time × requests in flight).
    public let weightedIOMilliseconds: UInt64
    /// Fields 12-15, when the kernel prints them.
    public let discards: Discards?
    /// Fields 16-17, when the kernel prints them.
    public let flushes: Flushes?

    static let file = "/proc/diskstats"
    private static let expectedLine = "\"<major> <minor> <name>\" and at least 11 counters"

    /// Parses the content of /proc/diskstats; an empty file is an empty list. A line must have 14, 18 or at least 20
    /// columns (columns after the 20th are ignored); any other count or a non-numeric or oversized value is
    /// malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> [DiskStats] {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> [DiskStats] {
        var lines = LineScanner(bytes)
        var devices: [DiskStats] = []
        while let line = lines.next() {
            var columns = FieldScanner(line)
            guard let first = columns.next() else { continue }
            guard let major = first.decimalUInt64().flatMap(UInt32.init(exactly:)),
                let minor = columns.nextUInt64().flatMap(UInt32.init(exactly:)), let name = columns.next(),
                let stats = DiskStats(major: major, minor: minor, device: name.string, counters: &columns)
            else { throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line) }
            devices.append(stats)
        }
        return devices
    }
}

extension DiskStats {
    /// The counters after the device name; nil when fewer than 11 are present or one is not a number that fits.
    fileprivate init?(major: UInt32, minor: UInt32, device: String, counters columns: inout FieldScanner) {
        guard let readsCompleted = columns.nextUInt64(), let readsMerged = columns.nextUInt64(),
            let sectorsRead = columns.nextUInt64(), let readMilliseconds = columns.nextUInt64(),
            let writesCompleted = columns.nextUInt64(), let writesMerged = columns.nextUInt64(),
            let sectorsWritten = columns.nextUInt64(), let writeMilliseconds = columns.nextUInt64(),
            let ioInProgress = columns.nextUInt64(), let ioMilliseconds = columns.nextUInt64(),
            let weightedIOMilliseconds = columns.nextUInt64()
        else { return nil }

        var discards: Discards?
        var flushes: Flushes?
        if let field = columns.next() {
            guard let completed = field.decimalUInt64(), let merged = columns.nextUInt64(),
                let sectors = columns.nextUInt64(), let milliseconds = columns.nextUInt64()
            else { return nil }
            discards = Discards(completed: completed, merged: merged, sectors: sectors, milliseconds: milliseconds)
            if let field = columns.next() {
                guard let completed = field.decimalUInt64(), let milliseconds = columns.nextUInt64() else {
                    return nil
                }
                flushes = Flushes(completed: completed, milliseconds: milliseconds)
            }
        }
        self.init(
            major: major, minor: minor, device: device, readsCompleted: readsCompleted, readsMerged: readsMerged,
            sectorsRead: sectorsRead, readMilliseconds: readMilliseconds, writesCompleted: writesCompleted,
            writesMerged: writesMerged, sectorsWritten: sectorsWritten, writeMilliseconds: writeMilliseconds,
            ioInProgress: ioInProgress, ioMilliseconds: ioMilliseconds,
            weightedIOMilliseconds: weightedIOMilliseconds, discards: discards, flushes: flushes)
    }
}
