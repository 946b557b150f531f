import ProcFS
import Testing

@Suite struct LoadAvgTests {
    struct Expected: Sendable, CustomStringConvertible {
        var loads: [Double]
        var running: UInt64
        var total: UInt64
        var lastPID: Int32
        var description: String { "\(loads) \(running)/\(total) \(lastPID)" }
    }

    @Test(arguments: [
        // node_exporter's fixture: node_load1 0.21, node_load5 0.37, node_load15 0.39.
        ("0.21 0.37 0.39 1/719 19737\n", Expected(loads: [0.21, 0.37, 0.39], running: 1, total: 719, lastPID: 19737)),
        ("0.00 0.00 0.00 0/1 1", Expected(loads: [0, 0, 0], running: 0, total: 1, lastPID: 1)),
        (
            "12.50\t3.1  100.99 12/3456 4194304 \n",
            Expected(loads: [12.5, 3.1, 100.99], running: 12, total: 3456, lastPID: 4_194_304)
        ),
        ("1. .5 7 1/2 3 extra\n", Expected(loads: [1, 0.5, 7], running: 1, total: 2, lastPID: 3)),
        (
            "0.12345678901234567890123 0.1 0.1 1/2 3\n",
            Expected(loads: [0.12345678901234568, 0.1, 0.1], running: 1, total: 2, lastPID: 3)
        ),
    ])
    func parsesTheLine(input: String, expected: Expected) throws {
        let load = try LoadAvg.parse(bytes(input))
        #expect([load.load1, load.load5, load.load15] == expected.loads)
        #expect(load.runningTasks == expected.running)
        #expect(load.totalTasks == expected.total)
        #expect(load.lastPID == expected.lastPID)
    }

    @Test(arguments: [
        "",
        "\n",
        "0.21 0.37 0.39 1/719\n",
        "0.21 0.37 0.39 719 19737\n",
        "0.21 0.37 0.39 /719 19737\n",
        "0.21 0.37 0.39 1/ 19737\n",
        "0.21 0.37 abc 1/719 19737\n",
        "0.21 -0.37 0.39 1/719 19737\n",
        "0.21 0.3.7 0.39 1/719 19737\n",
        "0.21 . 0.39 1/719 19737\n",
        "0.21 0.37 0.39 1/18446744073709551616 19737\n",
        "0.21 0.37 0.39 1/719 2147483648\n",
    ])
    func rejectsMalformedInput(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try LoadAvg.parse(bytes(input)) } == 1)
    }

    @Test func readsTheFixture() throws {
        let load = try KernelFile(path: Fixtures.proc.path("loadavg")).parse(LoadAvg.parse)
        #expect(load == (try LoadAvg.parse(bytes("0.52 0.38 0.27 2/183 4321"))))
        #expect(load.load1 == 0.52)
        #expect(load.lastPID == 4321)
    }
}
