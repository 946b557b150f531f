import CLinux
import Glibc
import Testing

/// `tally_release_program_code` hands the pages of the program's code back to the page cache after start-up.
@Suite struct ProgramCodeTests {
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

    @Test func releasesResidentCodeAndKeepsRunning() throws {
        let before = try residentCodeKilobytes()
        let released = tally_release_program_code()
        let after = try residentCodeKilobytes()
        #expect(released > 0)
        #expect(after < before, "resident code \(before) kB before, \(after) kB after releasing \(released) bytes")
        // Code called after the release faults back in and runs as before.
        #expect(try residentCodeKilobytes() > 0)
    }
}
