import Glibc
import ProcFS
import Testing

@Suite struct ProcFSTests {
    @Test(arguments: [
        ("/proc", "meminfo", "/proc/meminfo"),
        ("/proc/", "net/dev", "/proc/net/dev"),
        ("fixtures/proc", "/self/stat", "fixtures/proc/self/stat"),
        ("/", "stat", "/stat"),
        ("", "stat", "stat"),
    ])
    func joinsPathsUnderTheRoot(root: String, relative: String, expected: String) {
        #expect(ProcFS(root: root).path(relative) == expected)
        #expect(SysFS(root: root).path(relative) == expected)
    }

    @Test func defaultRoots() {
        #expect(ProcFS().root == "/proc")
        #expect(SysFS().root == "/sys")
        #expect(UdevDatabase().root == "/run/udev/data")
        #expect(UdevDatabase().path(major: 259, minor: 1) == "/run/udev/data/b259:1")
    }

    @Test func readsWholeFixtureFiles() throws {
        let loadavg = try Fixtures.proc.readFile("loadavg")
        #expect(loadavg == bytes("0.52 0.38 0.27 2/183 4321\n"))
        #expect(try Fixtures.proc.readFile("self/fd/0").isEmpty)
    }

    @Test(arguments: [0, 1, 8191, 8192, 8193, 100_000])
    func readsFilesOfAnySize(size: Int) throws {
        let directory = try TemporaryDirectory()
        let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try directory.write("data", content)
        #expect(try ProcFS(root: directory.path).readFile("data") == content)
    }

    @Test func rejectsFilesAboveTheCap() throws {
        let directory = try TemporaryDirectory()
        try directory.write("exact", [UInt8](repeating: 65, count: ProcFS.maximumFileSize))
        try directory.write("over", [UInt8](repeating: 65, count: ProcFS.maximumFileSize + 1))
        let procFS = ProcFS(root: directory.path)
        #expect(try procFS.readFile("exact").count == ProcFS.maximumFileSize)
        let error = thrownError { () throws(ProcFSError) in try procFS.readFile("over") }
        #expect(error == .readFailed(path: directory.path + "/over", call: "read", errno: EFBIG))
    }

    @Test func reportsTheFailingCall() {
        let missing = thrownError { () throws(ProcFSError) in try Fixtures.proc.readFile("no/such/file") }
        #expect(missing == .readFailed(path: Fixtures.proc.path("no/such/file"), call: "open", errno: ENOENT))
        let directory = thrownError { () throws(ProcFSError) in try Fixtures.proc.readFile("net") }
        #expect(directory == .readFailed(path: Fixtures.proc.path("net"), call: "read", errno: EISDIR))
        #expect(
            ProcFSError.readFailed(path: "/proc/meminfo", call: "open", errno: ENOENT).description
                == "/proc/meminfo: open failed: No such file or directory (errno 2)")
    }

    @Test func countsDirectoryEntries() throws {
        #expect(try Fixtures.proc.count(directoryEntries: "self/fd") == 4)
        #expect(try Fixtures.proc.count(directoryEntries: "net") == 1)
        let error = thrownError { () throws(ProcFSError) in try Fixtures.proc.count(directoryEntries: "2/fd") }
        #expect(error == .readFailed(path: Fixtures.proc.path("2/fd"), call: "opendir", errno: ENOENT))
        let empty = try TemporaryDirectory()
        #expect(try ProcFS(root: empty.path).count(directoryEntries: "") == 0)
    }

    @Test func parseErrorsNameThePathRead() throws {
        let directory = try TemporaryDirectory()
        try directory.write("meminfo", bytes("MemTotal: 1 kB\nMemFree 12\n"))
        try directory.write("stat", [])
        let procFS = ProcFS(root: directory.path)
        #expect(
            thrownError { () throws(ProcFSError) in try procFS.meminfo() }?.description
                == #"\#(directory.path)/meminfo:2: expected "<key>: <value> [kB]", got "MemFree 12""#)
        #expect(
            thrownError { () throws(ProcFSError) in try procFS.stat() }
                == .malformed(file: directory.path + "/stat", line: 1, reason: "empty file"))
    }

    /// Every reader against this machine's own /proc: the parsers must accept what the running kernel writes.
    @Test func parsesTheLiveProcFilesystem() throws {
        let procFS = ProcFS()
        #expect(try procFS.meminfo()["MemTotal"] ?? 0 > 0)
        #expect(try procFS.stat().total.idle > 0)
        #expect(try procFS.loadAvg().totalTasks > 0)
        _ = try procFS.diskStats()
        #expect(try procFS.netDev().contains { $0.device == "lo" })
        #expect(try procFS.mountInfo().contains { $0.mountPoint == "/" })
        #expect(try procFS.processStat().pid == getpid())
        #expect(try procFS.processLimits().maxOpenFiles != nil)
        #expect(try procFS.count(directoryEntries: "self/fd") >= 3)
    }

    /// Every prefix of each fixture file through its parser, and random bytes through every parser: each must
    /// return or throw, never trap (nor read past the buffer, which `swift test --sanitize=address` checks).
    @Test func truncatedAndRandomInputNeverTraps() throws {
        let parsers: [String: ([UInt8]) throws -> Void] = [
            "meminfo": { _ = try Meminfo.parse($0) }, "stat": { _ = try KernelStat.parse($0) },
            "loadavg": { _ = try LoadAvg.parse($0) }, "diskstats": { _ = try DiskStats.parse($0) },
            "net/dev": { _ = try NetDevStats.parse($0) }, "self/mountinfo": { _ = try MountInfo.parse($0) },
            "self/stat": { _ = try ProcessStat.parse($0) }, "self/limits": { _ = try ProcessLimits.parse($0) },
            "udev": { _ = try UdevData.parse($0) }, "rotational": { _ = try SysFS.parseRotational($0) },
        ]
        var parsed = 0
        for (file, parse) in parsers where !["udev", "rotational"].contains(file) {
            let content = try Fixtures.proc.readFile(file)
            for length in 0...content.count {
                _ = try? parse(Array(content[..<length]))
                parsed += 1
            }
            try parse(content)
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = bytes(" \t\n:()/-.\\0123456789kBE=")
        for _ in 0..<200 {
            let input = (0..<Int.random(in: 0...120, using: &generator)).map { _ in
                Bool.random(using: &generator)
                    ? alphabet.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
            }
            for parse in parsers.values {
                _ = try? parse(input)
                parsed += 1
            }
        }
        #expect(parsed > 200 * parsers.count)
    }

    @Test(arguments: [("sda", true), ("vda", false), ("nvme0n1", false), ("dm-0", false)])
    func readsRotationalFlags(device: String, rotational: Bool) throws {
        #expect(try Fixtures.sys.isRotational(blockDevice: device) == rotational)
    }

    @Test func rotationalOfAMissingDeviceIsAReadFailure() {
        let error = thrownError { () throws(ProcFSError) in try Fixtures.sys.isRotational(blockDevice: "cciss/c0d0") }
        #expect(
            error
                == .readFailed(
                    path: Fixtures.sys.path("block/cciss!c0d0/queue/rotational"), call: "open", errno: ENOENT))
    }

    @Test(arguments: [("0\n", false), ("1\n", true), ("1", true), (" 0 \n", false)])
    func parsesRotational(input: String, expected: Bool) throws {
        #expect(try SysFS.parseRotational(bytes(input)) == expected)
    }

    @Test(arguments: ["", "\n", "2\n", "yes\n", "01\n"])
    func rejectsMalformedRotational(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try SysFS.parseRotational(bytes(input)) } == 1)
    }
}

/// A fresh directory under /tmp, removed with its files when the value goes away.
final class TemporaryDirectory {
    let path: String
    private var files: [String] = []

    init() throws {
        var template = Array("/tmp/procfs-tests-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw ProcFSError.readFailed(path: "/tmp", call: "mkdtemp", errno: errno)
        }
        path = String(cString: created)
    }

    /// Creates `name` with `content`.
    func write(_ name: String, _ content: [UInt8]) throws {
        let filePath = path + "/" + name
        let descriptor = open(filePath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ProcFSError.readFailed(path: filePath, call: "open", errno: errno) }
        defer { close(descriptor) }
        files.append(filePath)
        var written = 0
        while written < content.count {
            let result = content.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written)
            }
            guard result > 0 else { throw ProcFSError.readFailed(path: filePath, call: "write", errno: errno) }
            written += result
        }
    }

    deinit {
        for file in files { unlink(file) }
        rmdir(path)
    }
}
