import Glibc
import HostCollectors
import MetricsCore
import Synchronization
import Testing

/// The collectors of system calls (uname, timex) over their test seams.
@Suite struct SystemCollectorTests {
    @Test func unameExposesEveryNameAsALabel() throws {
        let snapshot = try makeRegistry(collectors: ["uname"], options: Fixtures.options()).collect()
        let family = try #require(snapshot.family(sample: "node_uname_info"))
        #expect(family.descriptor.type == .gauge)
        #expect(
            snapshot.value(
                "node_uname_info",
                [
                    "domainname": "(none)", "machine": "x86_64", "nodename": "fixture-host",
                    "release": "6.1.0-18-amd64", "sysname": "Linux",
                    "version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
                ]) == 1)
        #expect(snapshot.success("uname") == 1)
    }

    @Test func unameFollowsARenamedHost() throws {
        let source = ChangingSystemNames(Fixtures.systemNames)
        var options = Fixtures.options()
        options.systemNames = source
        let registry = try makeRegistry(collectors: ["uname"], options: options)
        #expect(registry.collect().labelValues("node_uname_info", "nodename") == ["fixture-host"])
        source.names.withLock { $0.nodeName = "renamed" }
        #expect(registry.collect().labelValues("node_uname_info", "nodename") == ["renamed"])
    }

    @Test func theSystemUnameReportsThisKernel() throws {
        let names = try SystemUname().systemName()
        #expect(names.systemName == "Linux")
        #expect(!names.release.isEmpty && !names.machine.isEmpty && !names.version.isEmpty)
    }

    @Test func timexConvertsUnitsAsNodeExporter() throws {
        let snapshot = try makeRegistry(collectors: ["timex"], options: Fixtures.options()).collect()
        let expected: [String: Double] = [
            "node_timex_sync_status": 1,
            "node_timex_offset_seconds": 0.00025,
            "node_timex_frequency_adjustment_ratio": 1.00002,
            "node_timex_maxerror_seconds": 0.016,
            "node_timex_estimated_error_seconds": 0.0005,
            "node_timex_status": 8193,
            "node_timex_loop_time_constant": 7,
            "node_timex_tick_seconds": 0.01,
            "node_timex_pps_frequency_hertz": 0,
            "node_timex_pps_jitter_seconds": 0,
            "node_timex_pps_shift_seconds": 0,
            "node_timex_pps_stability_hertz": 0,
            "node_timex_pps_jitter_total": 0,
            "node_timex_pps_calibration_total": 0,
            "node_timex_pps_error_total": 0,
            "node_timex_pps_stability_exceeded_total": 0,
            "node_timex_tai_offset_seconds": 37,
        ]
        for (name, value) in expected {
            #expect(snapshot.value(name) == value, "\(name)")
        }
        let timex = snapshot.families.filter { $0.descriptor.name.hasPrefix("node_timex_") }
        #expect(timex.count == expected.count)
        let counters = timex.filter { $0.descriptor.type == .counter }.map(\.descriptor.name)
        #expect(
            Set(counters) == [
                "node_timex_pps_jitter", "node_timex_pps_calibration", "node_timex_pps_error",
                "node_timex_pps_stability_exceeded",
            ])
    }

    @Test func timexInMicrosecondsAndUnsynchronized() throws {
        var options = Fixtures.options()
        // TIME_ERROR, STA_UNSYNC without STA_NANO: offset and jitter in microseconds; PPS counters and a negative
        // frequency.
        options.clockAdjustment = FixedClockAdjustment(
            result: .success(
                ClockAdjustmentState(
                    clockState: 5, offset: -1500, frequency: -65536 * 10, maximumError: 16_000_000,
                    estimatedError: 16_000_000, status: 0x40, constant: 2, tick: 10_000, ppsFrequency: 65536,
                    jitter: 250, shift: 4, stability: 32768, jitterCount: 3, calibrationCount: 9, errorCount: 1,
                    stabilityExceededCount: 2, taiOffset: 0)))
        let snapshot = try makeRegistry(collectors: ["timex"], options: options).collect()
        #expect(snapshot.value("node_timex_sync_status") == 0)
        #expect(snapshot.value("node_timex_offset_seconds") == -0.0015)
        #expect(snapshot.value("node_timex_frequency_adjustment_ratio") == 0.99999)
        #expect(snapshot.value("node_timex_maxerror_seconds") == 16)
        #expect(snapshot.value("node_timex_status") == 64)
        #expect(snapshot.value("node_timex_pps_frequency_hertz") == 0.000001)
        #expect(snapshot.value("node_timex_pps_jitter_seconds") == 0.00025)
        #expect(snapshot.value("node_timex_pps_shift_seconds") == 4)
        #expect(snapshot.value("node_timex_pps_stability_hertz") == 0.0000005)
        #expect(snapshot.value("node_timex_pps_jitter_total") == 3)
        #expect(snapshot.value("node_timex_pps_calibration_total") == 9)
        #expect(snapshot.value("node_timex_pps_error_total") == 1)
        #expect(snapshot.value("node_timex_pps_stability_exceeded_total") == 2)
    }

    @Test func timexExposesNothingWhereAdjtimexIsForbidden() throws {
        var options = Fixtures.options()
        options.clockAdjustment = FixedClockAdjustment(
            result: .failure(SystemCallError(call: "adjtimex", errno: EPERM)))
        let snapshot = try makeRegistry(collectors: ["timex"], options: options).collect()
        #expect(snapshot.families.filter { $0.descriptor.name.hasPrefix("node_timex_") }.isEmpty)
        #expect(snapshot.success("timex") == 1)
    }

    @Test func timexFailsOnOtherErrors() throws {
        var options = Fixtures.options()
        options.clockAdjustment = FixedClockAdjustment(
            result: .failure(SystemCallError(call: "adjtimex", errno: EINVAL)))
        let snapshot = try makeRegistry(collectors: ["timex"], options: options).collect()
        #expect(snapshot.value("node_timex_sync_status") == nil)
        #expect(snapshot.success("timex") == 0)
    }

    @Test func theSystemClockAdjustmentReadsThisKernel() throws {
        let state = try SystemClockAdjustment().clockAdjustmentState()
        #expect((0...5).contains(state.clockState))
        #expect(state.tick > 0)
    }
}

/// uname(2) answering names a test changes between collections.
final class ChangingSystemNames: SystemNameSource {
    let names: Mutex<SystemName>

    init(_ names: SystemName) {
        self.names = Mutex(names)
    }

    func systemName() throws(SystemCallError) -> SystemName { names.withLock { $0 } }
}
