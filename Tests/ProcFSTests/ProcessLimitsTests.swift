import ProcFS
import Testing

@Suite struct ProcessLimitsTests {
    static let header = "Limit                     Soft Limit           Hard Limit           Units     \n"

    struct Expected: Sendable, CustomStringConvertible {
        var name: String
        var soft: ProcessLimits.Value
        var hard: ProcessLimits.Value
        var unit: String
        var description: String { name }
    }

    @Test(arguments: [
        (
            "Max open files            1024                 524288               files     \n",
            Expected(name: "Max open files", soft: .limited(1024), hard: .limited(524_288), unit: "files")
        ),
        (
            "Max address space         unlimited            unlimited            bytes     \n",
            Expected(name: "Max address space", soft: .unlimited, hard: .unlimited, unit: "bytes")
        ),
        (
            "Max nice priority         0                    0                    \n",
            Expected(name: "Max nice priority", soft: .limited(0), hard: .limited(0), unit: "")
        ),
        // A 20-digit limit fills its column: one space is all that separates it from the next.
        (
            "Max file size             18446744073709551614 unlimited            bytes     \n",
            Expected(name: "Max file size", soft: .limited(18_446_744_073_709_551_614), hard: .unlimited, unit: "bytes")
        ),
        (
            "Max realtime timeout\tunlimited\tunlimited\tus",
            Expected(name: "Max realtime timeout", soft: .unlimited, hard: .unlimited, unit: "us")
        ),
        (
            "Max cpu time              10                   unlimited            seconds   \n",
            Expected(name: "Max cpu time", soft: .limited(10), hard: .unlimited, unit: "seconds")
        ),
    ])
    func parsesRows(row: String, expected: Expected) throws {
        let limits = try ProcessLimits.parse(bytes(Self.header + row))
        let limit = try #require(limits.limits.first)
        #expect(limits.limits.count == 1)
        #expect(limit.name == expected.name)
        #expect(limit.soft == expected.soft)
        #expect(limit.hard == expected.hard)
        #expect(limit.unit == expected.unit)
    }

    @Test(arguments: [
        ("", 1),
        ("\n", 1),
        ("Max open files 1024 4096 files\n", 1),
        (ProcessLimitsTests.header + "Max open files            1024\n", 2),
        (ProcessLimitsTests.header + "Max open files\n", 2),
        (ProcessLimitsTests.header + "1024 4096 files\n", 2),
        (ProcessLimitsTests.header + "Max open files            1024                 lots                 files\n", 2),
        (ProcessLimitsTests.header + "Max open files            18446744073709551616 unlimited            files\n", 2),
        (ProcessLimitsTests.header + "Max open files            unlimited            -1                   files\n", 2),
    ])
    func rejectsMalformedInput(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try ProcessLimits.parse(bytes(input)) } == line)
    }

    @Test func headerAloneHasNoLimits() throws {
        let limits = try ProcessLimits.parse(bytes(Self.header))
        #expect(limits.limits.isEmpty)
        #expect(limits.maxOpenFiles == nil)
        #expect(limits.maxAddressSpace == nil)
    }

    @Test func readsTheFixture() throws {
        let limits = try KernelFile(path: Fixtures.proc.path("self/limits")).parse(ProcessLimits.parse)
        #expect(limits.limits.count == 16)
        #expect(limits.maxOpenFiles == .limited(1024))
        #expect(limits.limit(named: "Max open files")?.hard == .limited(524_288))
        #expect(limits.maxAddressSpace == .unlimited)
        #expect(limits.limit(named: "Max stack size")?.soft == .limited(8_388_608))
        #expect(limits.limit(named: "Max realtime priority")?.unit == "")
        #expect(limits.limit(named: "Max realtime timeout")?.unit == "us")
    }
}
