/// The udev database under a configurable directory (`--path.udev.data`, default `/run/udev/data`).
///
/// systemd-udevd keeps one file per device there; block devices are `b<major>:<minor>`. See udev(7).
public struct UdevDatabase: Sendable {
    /// The directory that stands for `/run/udev/data`.
    public let root: String

    public init(root: String = "/run/udev/data") {
        self.root = root
    }

    /// The database file of the block device `major`:`minor`, e.g. `/run/udev/data/b8:0`.
    public func path(major: UInt32, minor: UInt32) -> String {
        joinPath(root, "b\(major):\(minor)")
    }

    /// The properties udev recorded for the block device `major`:`minor`.
    public func blockDevice(major: UInt32, minor: UInt32) throws(ProcFSError) -> UdevData {
        try KernelFile(path: path(major: major, minor: minor)).parse(UdevData.parse)
    }
}

/// The `E:` (environment) properties of one udev database file.
///
/// Lines look like `E:ID_MODEL=QEMU_HARDDISK`; other kinds (`S:` symlinks, `I:` init time, `G:` tags, ...) are
/// skipped. node_exporter takes the `node_disk_info` labels from `ID_PATH`, `ID_WWN`, `ID_MODEL`, `ID_SERIAL_SHORT`
/// and `ID_REVISION`.
public struct UdevData: Sendable, Equatable {
    /// Property name to value, e.g. `["ID_MODEL": "QEMU_HARDDISK"]`. A repeated name keeps its last value.
    public let properties: [String: String]

    static let file = "/run/udev/data/b[major]:[minor]"

    /// Parses a udev database file; an empty file has no properties. An `E:` line without `=` or with an empty name
    /// is malformed.
    public static func parse(_ bytes: [UInt8]) throws(ProcFSError) -> UdevData {
        try bytes.parsingBytes(parse)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProcFSError) -> UdevData {
        var lines = LineScanner(bytes)
        var properties: [String: String] = [:]
        while let line = lines.next() {
            guard line.starts(with: "E:") else { continue }
            let property = UnsafeRawBufferPointer(rebasing: line[2...])
            guard let equals = property.firstIndex(of: ASCII.equals), equals > 0 else {
                throw .malformed(file, line: lines.lineNumber, expected: "\"E:<name>=<value>\"", got: line)
            }
            let name = UnsafeRawBufferPointer(rebasing: property[..<equals])
            let value = UnsafeRawBufferPointer(rebasing: property[(equals + 1)...])
            properties[name.string] = value.string
        }
        return UdevData(properties: properties)
    }
}
