/// One line of /proc/[pid]/mountinfo: a mount in the process's mount namespace.
///
/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`: mount ID, parent ID,
/// `major:minor`, root, mount point, mount options, zero or more optional fields, a lone `-`, filesystem type,
/// mount source and super options. The kernel writes a space, tab, newline and backslash inside a path as the octal
/// escapes `\040`, `\011`, `\012` and `\134`; they are decoded here in `root`, `mountPoint` and `source`. See proc(5)
/// and https://docs.kernel.org/filesystems/proc.html.
public struct MountInfo: Sendable, Equatable {
    /// A unique ID for the mount (may be reused after unmount).
    public let mountID: Int
    /// The ID of the parent mount, or of itself for the root of the mount tree.
    public let parentID: Int
    /// The major device number of the filesystem (`st_dev`).
    public let major: UInt32
    /// The minor device number of the filesystem (`st_dev`).
    public let minor: UInt32
    /// The directory of the filesystem that forms the root of this mount, usually `/`.
    public let root: String
    /// Where it is mounted, relative to the process's root directory.
    public let mountPoint: String
    /// Per-mount options, comma-separated as in the file, e.g. `rw,nosuid,relatime`.
    public let mountOptions: String
    /// Propagation fields such as `shared:1` or `master:3`, possibly none.
    public let optionalFields: [String]
    /// The filesystem type, e.g. `ext4`, `nfs4`, `fuse.sshfs`.
    public let filesystemType: String
    /// Filesystem-specific source, e.g. `/dev/vda1`, `server:/export` or `tmpfs`.
    public let source: String
    /// Per-superblock options, comma-separated as in the file.
    public let superOptions: String

    static let file = "/proc/[pid]/mountinfo"
    private static let expectedLine =
        "\"<id> <parent> <major>:<minor> <root> <mount point> <options> [optional...] - <type> <source> <super options>\""

    /// Parses the content of /proc/[pid]/mountinfo; an empty file is an empty list. A missing ` - ` separator, a
    /// missing field, or a non-numeric or oversized ID or device number is malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> [MountInfo] {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> [MountInfo] {
        var lines = LineScanner(bytes)
        var mounts: [MountInfo] = []
        while let line = lines.next() {
            guard !line.trimmingBlanks().isEmpty else { continue }
            guard let mount = MountInfo(line) else {
                throw .malformed(file, line: lines.lineNumber, expected: expectedLine, got: line)
            }
            mounts.append(mount)
        }
        return mounts
    }
}

extension MountInfo {
    /// One line split on single spaces, as the kernel writes it; an empty source shows up as an empty field rather
    /// than shifting the fields after it.
    fileprivate init?(_ line: UnsafeRawBufferPointer) {
        var fields = SpaceSeparatedFields(line)
        guard let mountID = fields.next()?.decimalUInt64().flatMap(Int.init(exactly:)),
            let parentID = fields.next()?.decimalUInt64().flatMap(Int.init(exactly:)),
            let device = fields.next(), let colon = device.firstIndex(of: ASCII.colon),
            let major = UnsafeRawBufferPointer(rebasing: device[..<colon]).decimalUInt64()
                .flatMap(UInt32.init(exactly:)),
            let minor = UnsafeRawBufferPointer(rebasing: device[(colon + 1)...]).decimalUInt64()
                .flatMap(UInt32.init(exactly:)),
            let root = fields.next(), let mountPoint = fields.next(), let mountOptions = fields.next()
        else { return nil }

        var optionalFields: [String] = []
        while true {
            guard let field = fields.next() else { return nil }
            if field.equals("-") { break }
            optionalFields.append(field.string)
        }
        guard let filesystemType = fields.next(), let source = fields.next(), let superOptions = fields.rest else {
            return nil
        }
        self.init(
            mountID: mountID, parentID: parentID, major: major, minor: minor, root: root.decodingOctalEscapes(),
            mountPoint: mountPoint.decodingOctalEscapes(), mountOptions: mountOptions.string,
            optionalFields: optionalFields, filesystemType: filesystemType.string,
            source: source.decodingOctalEscapes(), superOptions: superOptions.string)
    }
}

/// Fields separated by exactly one space each.
private struct SpaceSeparatedFields {
    private let line: UnsafeRawBufferPointer
    private var position = 0

    init(_ line: UnsafeRawBufferPointer) {
        self.line = line
    }

    /// The next field (possibly empty between two spaces), or nil after the end of the line.
    mutating func next() -> UnsafeRawBufferPointer? {
        guard position <= line.count else { return nil }
        let remaining = UnsafeRawBufferPointer(rebasing: line[position...])
        let length = remaining.firstIndex(of: ASCII.space) ?? remaining.count
        position += length + 1
        return UnsafeRawBufferPointer(rebasing: remaining[..<length])
    }

    /// Everything after the current field, spaces included; nil when the line ended with that field.
    var rest: UnsafeRawBufferPointer? {
        guard position <= line.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: line[position...])
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as a string with every `\` followed by three octal digits (up to `\377`) replaced by that byte;
    /// any other backslash is kept as it is.
    func decodingOctalEscapes() -> String {
        guard firstIndex(of: ASCII.backslash) != nil else { return string }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(count)
        var index = 0
        while index < count {
            if self[index] == ASCII.backslash, index + 3 < count, let byte = octalByte(at: index + 1) {
                decoded.append(byte)
                index += 4
            } else {
                decoded.append(self[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// The value of the three octal digits starting at `index`, if they are octal digits and at most 0o377.
    private func octalByte(at index: Int) -> UInt8? {
        var value: UInt16 = 0
        for offset in 0..<3 {
            let digit = self[index + offset] &- ASCII.zero
            guard digit < 8 else { return nil }
            value = value * 8 + UInt16(digit)
        }
        return UInt8(exactly: value)
    }
}
