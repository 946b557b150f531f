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

    @Test func aMissingFileNamesTheCallAndErrno() {
        let file = KernelFile(path: "/nonexistent/kernel-file")
        #expect(throws: ProcFSError.readFailed(path: "/nonexistent/kernel-file", call: "open", errno: ENOENT)) {
            try file.read()
        }
    }
}
