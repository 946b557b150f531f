import CLinux
import Glibc
import Testing

/// `tally_release_program_code` hands the pages of the program's code back to the page cache after start-up.
@Suite(.serialized) struct ProgramCodeTests {
    /// Resident kilobytes of this program's executable mappings, from /proc/self/smaps.
    private func residentCodeKilobytes() throws -> Int {
        let program = try #require(realpath("/proc/self/exe", nil))
        defer { free(program) }
        let path = String(cString: program)
        let smaps = try #require(fopen("/proc/self/smaps", "r"))
        defer { fclose(smaps) }
        var inProgramCode = false
        var kilobytes = 0
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), smaps) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), fields.count >= 2 {
                inProgramCode = fields[1].hasPrefix("r-x") && text.hasSuffix(path + "\n")
            } else if inProgramCode, fields.first == "Rss:", fields.count >= 2, let value = Int(fields[1]) {
                kilobytes += value
            }
        }
        return kilobytes
    }

    /// The /proc/self/pagemap entry of the page holding `address`.
    private func pagemapEntry(_ address: UInt) throws -> UInt64 {
        let pagemap = open("/proc/self/pagemap", O_RDONLY)
        try #require(pagemap >= 0)
        defer { close(pagemap) }
        var entry: UInt64 = 0
        let offset = off_t(address / UInt(sysconf(Int32(_SC_PAGESIZE))) * 8)
        try #require(pread(pagemap, &entry, 8, offset) == 8)
        return entry
    }

    @Test func releasesResidentCodeAndKeepsRunning() throws {
        let before = try residentCodeKilobytes()
        let released = tally_release_program_code()
        let after = try residentCodeKilobytes()
        #expect(released > 0)
        #expect(after < before, "resident code \(before) kB before, \(after) kB after releasing \(released) bytes")
        // Code called after the release faults back in and runs as before.
        #expect(try residentCodeKilobytes() > 0)
    }

    /// A code page written to, as a debugger's breakpoint or a uprobe does, holds the change only in memory: it must
    /// not be dropped.
    @Test func keepsCodePagesThatWereWrittenTo() throws {
        let function: @convention(c) () -> UnsafePointer<CChar>? = tally_build_revision
        let address = UInt(bitPattern: unsafeBitCast(function, to: UnsafeRawPointer.self))
        let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let page = try #require(UnsafeMutableRawPointer(bitPattern: address & ~(pageSize - 1)))
        // Rewrite one byte with its own value: the page becomes this process's private copy.
        try #require(mprotect(page, Int(pageSize), PROT_READ | PROT_WRITE | PROT_EXEC) == 0)
        let byte = page.load(as: UInt8.self)
        page.storeBytes(of: byte, as: UInt8.self)
        try #require(mprotect(page, Int(pageSize), PROT_READ | PROT_EXEC) == 0)
        let present: UInt64 = 1 << 63
        let filePage: UInt64 = 1 << 61
        let copied = try pagemapEntry(address)
        #expect(copied & present != 0 && copied & filePage == 0)

        #expect(tally_release_program_code() > 0)
        let kept = try pagemapEntry(address)
        #expect(kept & present != 0 && kept & filePage == 0, "the written page was released")
        #expect(function() != nil)
    }
}
