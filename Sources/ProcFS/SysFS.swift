/// The sysfs filesystem under a configurable mount point (`--path.sysfs`, default `/sys`).
///
/// Only what the disk collector needs: whether a block device is rotational. See
/// https://docs.kernel.org/block/queue-sysfs.html.
public struct SysFS: Sendable {
    /// The directory that stands for `/sys`.
    public let root: String

    public init(root: String = "/sys") {
        self.root = root
    }

    /// `relative` joined under `root`, e.g. `path("block/sda/queue/rotational")`.
    public func path(_ relative: String) -> String {
        joinPath(root, relative)
    }

    /// `/sys/block/<device>/queue/rotational`, which says whether the device spins (``parseRotational(_:)``).
    /// `device` is the name from /proc/diskstats; a `/` in it (`cciss/c0d0`) is `!` in sysfs.
    public func rotationalPath(blockDevice device: String) -> String {
        path("block/\(device.replacing("/", with: "!"))/queue/rotational")
    }

    /// Parses a `queue/rotational` file: `0` or `1` and a newline. Anything else is malformed.
    public static func parseRotational(_ bytes: [UInt8]) throws(ProcFSError) -> Bool {
        try bytes.parsingBytes { (raw) throws(ProcFSError) -> Bool in
            var lines = LineScanner(raw)
            let line = lines.next()?.trimmingBlanks()
            guard let line, line.equals("0") || line.equals("1") else {
                let file = "/sys/block/[device]/queue/rotational"
                guard let line else { throw .emptyFile(file) }
                throw .malformed(file, line: 1, expected: "\"0\" or \"1\"", got: line)
            }
            return line.equals("1")
        }
    }
}
