import ProcFS
import Testing

@Suite struct MeminfoTests {
    struct Field: Sendable, Equatable, CustomStringConvertible {
        var name: String
        var value: UInt64
        var hasUnit: Bool
        var description: String { "\(name)=\(value)\(hasUnit ? "B" : "")" }
    }

    @Test(arguments: [
        ("MemTotal:        3742148 kB\n", [Field(name: "MemTotal", value: 3_831_959_552, hasUnit: true)]),
        (
            "HugePages_Total:       0\nHugepagesize:       2048 kB\n",
            [
                Field(name: "HugePages_Total", value: 0, hasUnit: false),
                Field(name: "Hugepagesize", value: 2_097_152, hasUnit: true),
            ]
        ),
        ("Active(anon):    2020004 kB", [Field(name: "Active(anon)", value: 2_068_484_096, hasUnit: true)]),
        ("MemFree:\t12\tkB  \n\n", [Field(name: "MemFree", value: 12_288, hasUnit: true)]),
        ("VmallocTotal:   34359738367 kB\n", [Field(name: "VmallocTotal", value: 35_184_372_087_808, hasUnit: true)]),
        ("HugePages_Free: 18446744073709551615\n", [Field(name: "HugePages_Free", value: .max, hasUnit: false)]),
        (
            "B: 2 kB\nA: 1 kB\n",
            [Field(name: "B", value: 2048, hasUnit: true), Field(name: "A", value: 1024, hasUnit: true)]
        ),
    ])
    func parsesFieldsInFileOrder(input: String, expected: [Field]) throws {
        let meminfo = try Meminfo.parse(bytes(input))
        #expect(meminfo.fields.map { Field(name: $0.name, value: $0.value, hasUnit: $0.hasUnit) } == expected)
    }

    @Test(arguments: [
        ("", 1),
        ("\n \n", 1),
        ("MemTotal: 1 kB\nMemFree 12\n", 2),
        ("MemTotal: kB\n", 1),
        ("MemTotal:\n", 1),
        ("MemTotal: 18446744073709551616\n", 1),
        ("MemTotal: 99999999999999999999999 kB\n", 1),
        ("MemTotal: 18014398509481984 kB\n", 1),
        ("MemTotal: 12 MB\n", 1),
        ("MemTotal: 12 kB extra\n", 1),
        ("MemTotal: -5 kB\n", 1),
        ("MemTotal: 1.5 kB\n", 1),
        (": 5 kB\n", 1),
        ("Mem Total: 5 kB\n", 1),
        ("MemTotal: 1 kB\nMemFree: 2 kB\nCached: x kB\n", 3),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try Meminfo.parse(bytes(input)) } == line)
    }

    @Test func describesTheOffendingLine() {
        let error = thrownError { () throws(ProcFSError) in try Meminfo.parse(bytes("MemTotal: 1 kB\nMemFree 12\n")) }
        #expect(error?.description == #"/proc/meminfo:2: expected "<key>: <value> [kB]", got "MemFree 12""#)
        let empty = thrownError { () throws(ProcFSError) in try Meminfo.parse([]) }
        #expect(empty == .malformed(file: "/proc/meminfo", line: 1, reason: "empty file"))
    }

    @Test func looksUpFieldsByName() throws {
        let meminfo = try Meminfo.parse(bytes("MemTotal: 4 kB\nHugePages_Total: 3\n"))
        #expect(meminfo["MemTotal"] == 4096)
        #expect(meminfo["HugePages_Total"] == 3)
        #expect(meminfo.field(named: "HugePages_Total")?.hasUnit == false)
        #expect(meminfo["MemAvailable"] == nil)
    }

    @Test func readsTheFixture() throws {
        let meminfo = try Fixtures.proc.meminfo()
        #expect(meminfo.fields.count == 54)
        #expect(meminfo.fields.first?.name == "MemTotal")
        #expect(meminfo["MemTotal"] == 4_028_376 * 1024)
        #expect(meminfo["Inactive(file)"] == 1_172_416 * 1024)
        #expect(meminfo.field(named: "HugePages_Total") == meminfo.fields.first { $0.name == "HugePages_Total" })
        #expect(meminfo["HugePages_Total"] == 16)
        #expect(meminfo.field(named: "HugePages_Total")?.hasUnit == false)
    }

    /// node_exporter's fixture, from the reference directory; its values are also copied into the table above.
    @Test(.needsPeerFixtures) func readsNodeExporterFixture() throws {
        let meminfo = try PeerFixtures.proc.meminfo()
        #expect(meminfo["MemTotal"] == 3_831_959_552)
        #expect(meminfo["Active(anon)"] == 2_068_484_096)
        #expect(meminfo["Hugepagesize"] == 2_097_152)
        #expect(meminfo.field(named: "HugePages_Total")?.hasUnit == false)
    }
}
