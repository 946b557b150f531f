import ProcFS
import Testing

@Suite struct PressureTests {
    @Test func parsesSomeAndFull() throws {
        let pressure = try Pressure.parse(
            bytes(
                "some avg10=1.50 avg60=3.04 avg300=23.08 total=978015350\n"
                    + "full avg10=0.00 avg60=0.10 avg300=0.00 total=42\n"))
        #expect(pressure.some == Pressure.Line(average10: 1.5, average60: 3.04, average300: 23.08, total: 978_015_350))
        #expect(pressure.full == Pressure.Line(average10: 0, average60: 0.1, average300: 0, total: 42))
    }

    @Test(arguments: [
        // cpu before kernel 5.13 has no full line.
        ("some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n", true, false),
        ("full avg10=0.00 avg60=0.00 avg300=0.00 total=7", false, true),
        // Lines of other kinds are ignored, as node_exporter's procfs ignores them.
        ("partial avg10=x\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=7\n", true, false),
        ("", false, false),
    ])
    func linesMayBeMissing(input: String, hasSome: Bool, hasFull: Bool) throws {
        let pressure = try Pressure.parse(bytes(input))
        #expect((pressure.some != nil) == hasSome)
        #expect((pressure.full != nil) == hasFull)
        #expect(pressure.some.map(\.total) ?? 7 == 7)
    }

    @Test(arguments: [
        ("some avg10=1.50 avg60=3.04 avg300=23.08\n", 1),
        ("some avg10=1.50 avg60=3.04 total=1 avg300=23.08\n", 1),
        ("some avg10=1.50 avg60=3.04 avg300=23.08 total=-1\n", 1),
        ("some avg10=1.50 avg60=3.04 avg300=23.08 total=1.5\n", 1),
        ("some avg10=abc avg60=3.04 avg300=23.08 total=1\n", 1),
        ("some avg10=0 avg60=0 avg300=0 total=1\nfull avg10=0 avg60=0 avg300=0 total=\n", 2),
        ("some\n", 1),
    ])
    func rejectsMalformedInput(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try Pressure.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        let cpu = try KernelFile(path: Fixtures.proc.path("pressure/cpu")).parse(Pressure.parse)
        #expect(cpu.some?.total == 978_073_163)
        #expect(cpu.full?.total == 0)
        let io = try KernelFile(path: Fixtures.proc.path("pressure/io")).parse(Pressure.parse)
        #expect(io.some?.total == 33_000_000)
        #expect(io.full?.total == 9_500_000)
        let memory = try KernelFile(path: Fixtures.proc.path("pressure/memory")).parse(Pressure.parse)
        #expect(memory.some?.average60 == 0.05)
        #expect(memory.full?.total == 500_000)
    }
}
