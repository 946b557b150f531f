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

    /// Every parser on the file it reads from this machine's own /proc: it must accept what the running kernel writes.
    @Test func parsesTheLiveProcFilesystem() throws {
        let procFS = ProcFS()
        func read<Value>(_ relative: String, _ parse: ([UInt8]) throws(ProcFSError) -> Value) throws -> Value {
            try KernelFile(path: procFS.path(relative)).parse(parse)
        }
        #expect(try procFS.meminfo()["MemTotal"] ?? 0 > 0)
        #expect(try procFS.stat().total.idle > 0)
        #expect(try read("loadavg", LoadAvg.parse).totalTasks > 0)
        _ = try read("diskstats", DiskStats.parse)
        #expect(try read("net/dev", NetDevStats.parse).contains { $0.device == "lo" })
        #expect(try read("self/mountinfo", MountInfo.parse).contains { $0.mountPoint == "/" })
        #expect(try read("self/stat", ProcessStat.parse).pid == getpid())
        #expect(try read("self/limits", ProcessLimits.parse).maxOpenFiles != nil)
        #expect(try DirectoryEntryCounter(path: procFS.path("self/fd")).count() >= 3)
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
            "net/netstat": { _ = try NetStatistics.parse($0) }, "net/snmp6": { _ = try NetStatistics.parseSNMP6($0) },
            "net/sockstat": { _ = try Sockstat.parse($0) }, "net/softnet_stat": { _ = try SoftnetStat.parse($0) },
            "net/udp": { _ = try UDPQueues.parse($0) }, "net/arp": { _ = try ARPEntryCount.parse($0) },
            "net/stat/nf_conntrack": { _ = try ConntrackStatistics.parse($0) },
            "sys/net/netfilter/nf_conntrack_max": { _ = try ConntrackStatistics.parseTableSize($0) },
        ]
        var parsed = 0
        for (file, parse) in parsers where !["udev", "rotational"].contains(file) {
            let content = try KernelFile(path: Fixtures.proc.path(file)).read()
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
        let file = KernelFile(path: Fixtures.sys.rotationalPath(blockDevice: device))
        #expect(try file.parse(SysFS.parseRotational) == rotational)
    }

    @Test func rotationalOfAMissingDeviceIsAReadFailure() {
        let file = KernelFile(path: Fixtures.sys.rotationalPath(blockDevice: "cciss/c0d0"))
        let error = thrownError { () throws(ProcFSError) in try file.parse(SysFS.parseRotational) }
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
