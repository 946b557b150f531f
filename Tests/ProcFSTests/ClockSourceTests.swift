import ProcFS
import Testing

@Suite struct ClockSourceTests {
    @Test(arguments: [
        ("tsc kvm-clock acpi_pm \n", ["tsc", "kvm-clock", "acpi_pm"]),
        ("tsc\n", ["tsc"]),
        ("  hpet\tacpi_pm", ["hpet", "acpi_pm"]),
        ("\n", []),
        ("", []),
    ])
    func parsesTheAvailableNames(input: String, expected: [String]) {
        #expect(ClockSource.parseAvailable(bytes(input)) == expected)
        #expect(ClockSource.parseAvailable(bytes(input), knownNames: ["acpi_pm", "tsc"]) == expected)
    }

    @Test(arguments: [("tsc\n", "tsc"), ("  kvm-clock \r\n", "kvm-clock"), ("\n", ""), ("", "")])
    func parsesTheCurrentName(input: String, expected: String) {
        #expect(ClockSource.parseCurrent(bytes(input)) == expected)
        #expect(ClockSource.parseCurrent(bytes(input), known: "tsc") == expected)
    }

    @Test func readsTheFixture() throws {
        let directory = Fixtures.sys.path("devices/system/clocksource")
        #expect(try DirectoryListing(path: directory).entries().map(\.name) == ["clocksource0"])
        let device = directory + "/clocksource0/"
        let available = try KernelFile(path: device + "available_clocksource").read()
        #expect(ClockSource.parseAvailable(available) == ["tsc", "kvm-clock", "acpi_pm"])
        let current = try KernelFile(path: device + "current_clocksource").read()
        #expect(ClockSource.parseCurrent(current) == "kvm-clock")
    }

}
