import Foundation
import Glibc
import ProcFS
import Testing

@Suite struct KernelFileTests {
    @Test func aGeneratedFileStaysReadableAcrossReads() throws {
        let file = KernelFile(path: "/proc/self/stat")
        let first = try file.read()
        let second = try file.read()
        // The same process both times: the line starts with our pid.
        let pid = Array("\(getpid()) (".utf8)
        #expect(Array(first.prefix(pid.count)) == pid)
        #expect(Array(second.prefix(pid.count)) == pid)
    }

    @Test func aRewrittenRegularFileIsReadAnew() throws {
        let path = NSTemporaryDirectory() + "kernel-file-\(getpid())-regular"
        defer { unlink(path) }
        try Data("first\n".utf8).write(to: URL(fileURLWithPath: path))
        let file = KernelFile(path: path)
        #expect(try file.read() == Array("first\n".utf8))
        try Data("second, longer\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try file.read() == Array("second, longer\n".utf8))
    }

    /// A FIFO cannot be read at an offset: it is read in order to its end, and opened again for the next read.
    @Test func aFIFOIsReadInOrderEachTime() throws {
        let path = NSTemporaryDirectory() + "kernel-file-\(getpid())-fifo"
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let file = KernelFile(path: path)
        for content in ["cpu  1 0 1 1 0 0 0 0 0 0\nbtime 1700000000\n", "second writer\n"] {
            let writer = Thread {
                let descriptor = open(path, O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { return }
                _ = content.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count - 1) }
                close(descriptor)
            }
            writer.start()
            #expect(try file.read() == Array(content.utf8))
        }
    }

    @Test func readsWholeFixtureFiles() throws {
        #expect(try KernelFile(path: Fixtures.proc.path("loadavg")).read() == bytes("0.52 0.38 0.27 2/183 4321\n"))
        #expect(try KernelFile(path: Fixtures.proc.path("self/fd/0")).read().isEmpty)
    }

    /// Sizes around the first buffer's and its doublings, read by a fresh reader and by one whose buffer has grown.
    @Test(arguments: [0, 1, 255, 256, 257, 4095, 4096, 4097, 8191, 8192, 8193, 100_000])
    func readsFilesOfAnySize(size: Int) throws {
        let directory = try TemporaryDirectory()
        let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try directory.write("data", content)
        defer { withExtendedLifetime(directory) {} }
        let file = KernelFile(path: directory.path + "/data")
        #expect(try file.read() == content)
        #expect(try file.read() == content)
    }

    @Test func rejectsFilesAboveTheCap() throws {
        let directory = try TemporaryDirectory()
        try directory.write("exact", [UInt8](repeating: 65, count: ProcFS.maximumFileSize))
        try directory.write("over", [UInt8](repeating: 65, count: ProcFS.maximumFileSize + 1))
        #expect(try KernelFile(path: directory.path + "/exact").read().count == ProcFS.maximumFileSize)
        let over = KernelFile(path: directory.path + "/over")
        let error = thrownError { () throws(ProcFSError) in try over.read() }
        #expect(error == .readFailed(path: directory.path + "/over", call: "read", errno: EFBIG))
    }

    @Test func aMissingFileNamesTheCallAndErrno() {
        let file = KernelFile(path: "/nonexistent/kernel-file")
        #expect(throws: ProcFSError.readFailed(path: "/nonexistent/kernel-file", call: "open", errno: ENOENT)) {
            try file.read()
        }
    }

    @Test func anOptionalFileThatIsMissingParsesToNothing() throws {
        let missing = KernelFile(path: "/nonexistent/kernel-file")
        #expect(try missing.parseIfPresent(LoadAvg.parse) == nil)
        #expect(try KernelFile(path: Fixtures.proc.path("loadavg")).parseIfPresent(LoadAvg.parse)?.load1 == 0.52)
        let directory = KernelFile(path: Fixtures.proc.path("net"))
        let error = thrownError { () throws(ProcFSError) in try directory.parseIfPresent(LoadAvg.parse) }
        #expect(error != nil && error?.isMissingFile == false)
        #expect(ProcFSError.readFailed(path: "/x", call: "open", errno: ENOENT).isMissingFile)
        #expect(!ProcFSError.readFailed(path: "/x", call: "open", errno: EACCES).isMissingFile)
        #expect(!ProcFSError.malformed(file: "/x", line: 1, reason: "").isMissingFile)
    }

    @Test func aDirectoryFailsAtTheRead() {
        let file = KernelFile(path: Fixtures.proc.path("net"))
        let error = thrownError { () throws(ProcFSError) in try file.read() }
        #expect(error == .readFailed(path: Fixtures.proc.path("net"), call: "pread", errno: EISDIR))
        #expect(
            ProcFSError.readFailed(path: "/proc/meminfo", call: "open", errno: ENOENT).description
                == "/proc/meminfo: open failed: No such file or directory (errno 2)")
    }

    @Test func parseErrorsNameThePathRead() throws {
        let directory = try TemporaryDirectory()
        try directory.write("meminfo", bytes("MemTotal: 1 kB\nMemFree 12\n"))
        let file = KernelFile(path: directory.path + "/meminfo")
        #expect(
            thrownError { () throws(ProcFSError) in try file.parse(Meminfo.parse) }?.description
                == #"\#(directory.path)/meminfo:2: expected "<key>: <value> [kB]", got "MemFree 12""#)
        let bytes = try file.read()
        #expect(
            thrownError { () throws(ProcFSError) in try file.parse(bytes, by: Meminfo.parse) }?.description
                == #"\#(directory.path)/meminfo:2: expected "<key>: <value> [kB]", got "MemFree 12""#)
    }

    /// Integration tests mount and unmount while tally serves; here the table stays as it is.
    @Test func anUnchangedMountTableIsNotReadAgain() throws {
        let file = KernelFile(path: "/proc/self/mountinfo")
        let first = try file.parseMountTableIfChanged { $0 }
        #expect(first?.isEmpty == false)
        #expect(try file.parseMountTableIfChanged { $0 } == nil)
        #expect(try file.parseMountTableIfChanged { $0 } == nil)
    }

    @Test func aMountTableThatFailedToParseIsReadAgain() throws {
        let file = KernelFile(path: "/proc/self/mountinfo")
        #expect(throws: ProcFSError.malformed(file: "/proc/self/mountinfo", line: 1, reason: "refused")) {
            try file.parseMountTableIfChanged { _ throws(ProcFSError) -> Int in
                throw .malformed(file: "", line: 1, reason: "refused")
            }
        }
        #expect(try file.parseMountTableIfChanged { $0.count } != nil)
    }

    @Test func aMountTableOnARealFilesystemIsReadEveryTime() throws {
        let path = NSTemporaryDirectory() + "kernel-file-\(getpid())-mountinfo"
        defer { unlink(path) }
        let table = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
        try Data(table.utf8).write(to: URL(fileURLWithPath: path))
        let file = KernelFile(path: path)
        #expect(try file.parseMountTableIfChanged { $0 } == Array(table.utf8))
        #expect(try file.parseMountTableIfChanged { $0 } == Array(table.utf8))
    }
}

@Suite struct DirectoryEntryCounterTests {
    @Test func countsDirectoryEntries() throws {
        #expect(try DirectoryEntryCounter(path: Fixtures.proc.path("self/fd")).count() == 4)
        // dev, arp, netstat, snmp, snmp6, sockstat, sockstat6, softnet_stat, stat, udp, udp6.
        #expect(try DirectoryEntryCounter(path: Fixtures.proc.path("net")).count() == 11)
        let missing = DirectoryEntryCounter(path: Fixtures.proc.path("2/fd"))
        let error = thrownError { () throws(ProcFSError) in try missing.count() }
        #expect(error == .readFailed(path: Fixtures.proc.path("2/fd"), call: "opendir", errno: ENOENT))
        let empty = try TemporaryDirectory()
        #expect(try DirectoryEntryCounter(path: empty.path).count() == 0)
    }

    /// The stream stays open and is rewound, which shows the directory as it is at each count.
    @Test func aKeptOpenDirectoryCountsItsCurrentEntries() throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let counter = DirectoryEntryCounter(path: directory.path)
        #expect(try counter.count() == 0)
        try directory.write("a", [])
        try directory.write("b", [])
        #expect(try counter.count() == 2)
        unlink(directory.path + "/a")
        #expect(try counter.count() == 1)
    }
}
