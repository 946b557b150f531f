import Foundation
import HostCollectors
import MetricsCore
import Synchronization
import Testing

/// A mount whose `statfs` hangs, through the `FilesystemStatsSource` seam. The timing assertions check behaviour
/// ("does not wait"), not speed, so their margins are wide; every wait in them is bounded.
@Suite struct MountTimeoutTests {
    static let timeout = 0.5
    static let srv = [
        "device": "/dev/mapper/vg0-srv", "device_error": "", "fstype": "ext4", "mountpoint": "/srv",
    ]
    static let stuckSrv = [
        "device": "/dev/mapper/vg0-srv", "device_error": "mountpoint timeout", "fstype": "ext4",
        "mountpoint": "/srv",
    ]
    static let root = ["device": "/dev/vda1", "device_error": "", "fstype": "ext4", "mountpoint": "/"]

    static func registry(hanging: HangingFilesystemStats, workers: Int = 4) throws -> MetricRegistry {
        var options = Fixtures.options(filesystemStats: hanging)
        options.filesystemMountTimeout = .milliseconds(Int(timeout * 1000))
        options.filesystemStatWorkers = workers
        return try makeRegistry(collectors: ["filesystem"], options: options)
    }

    @Test func aHungMountCostsOneTimeoutThenNothingUntilItReturns() throws {
        let hanging = HangingFilesystemStats(base: Fixtures.filesystemStats, hanging: ["/host/srv"])
        defer { hanging.release() }
        let registry = try Self.registry(hanging: hanging)

        let (first, firstSeconds) = measure { registry.collect() }
        #expect(firstSeconds >= Self.timeout * 0.9)
        #expect(firstSeconds < Self.timeout + 4)
        #expect(first.success("filesystem") == 1)
        #expect(first.value("node_filesystem_device_error", Self.stuckSrv) == 1)
        #expect(first.value("node_filesystem_readonly", Self.stuckSrv) == 1)
        #expect(first.value("node_filesystem_size_bytes", Self.stuckSrv) == nil)
        #expect(first.value("node_filesystem_device_error", Self.root) == 0)
        #expect(first.value("node_filesystem_size_bytes", Self.root) == 20_480_000_000)
        #expect(first.labels("node_filesystem_size_bytes").count == 4)

        for _ in 0..<3 {
            let (later, laterSeconds) = measure { registry.collect() }
            #expect(laterSeconds < Self.timeout / 2)
            #expect(later.value("node_filesystem_device_error", Self.stuckSrv) == 1)
            #expect(later.value("node_filesystem_size_bytes", Self.root) == 20_480_000_000)
        }
        #expect(hanging.calls("/host/srv") == 1)
        #expect(hanging.blocked == 1)

        hanging.release()
        let recovered = eventually(within: 5) {
            registry.collect().value("node_filesystem_size_bytes", Self.srv) == 10_240_000_000
        }
        #expect(recovered)
        let after = registry.collect()
        #expect(after.value("node_filesystem_device_error", Self.srv) == 0)
        #expect(after.value("node_filesystem_device_error", Self.stuckSrv) == nil)
    }

    @Test func concurrentCollectionsShareOneCall() throws {
        let hanging = HangingFilesystemStats(base: Fixtures.filesystemStats, hanging: ["/host/srv"])
        defer { hanging.release() }
        let registry = try Self.registry(hanging: hanging)

        let done = DispatchGroup()
        let results = ResultBox()
        for _ in 0..<2 {
            done.enter()
            Thread.detachNewThread {
                let (snapshot, seconds) = measure { registry.collect() }
                results.append(snapshot.value("node_filesystem_device_error", Self.stuckSrv), seconds)
                done.leave()
            }
        }
        #expect(done.wait(timeout: .now() + Self.timeout + 10) == .success)
        #expect(results.values == [1, 1])
        #expect(results.seconds.allSatisfy { $0 < Self.timeout + 4 })
        #expect(hanging.calls("/host/srv") == 1)
    }

    @Test func aStuckWorkerIsReplacedSoOtherMountsAreStillServed() throws {
        let hanging = HangingFilesystemStats(base: Fixtures.filesystemStats, hanging: ["/host/boot"])
        defer { hanging.release() }
        let registry = try Self.registry(hanging: hanging, workers: 1)

        _ = registry.collect()
        let boot = [
            "device": "/dev/vda2", "device_error": "mountpoint timeout", "fstype": "ext4", "mountpoint": "/boot",
        ]
        let servedAgain = eventually(within: 5) {
            let snapshot = registry.collect()
            return snapshot.value("node_filesystem_device_error", boot) == 1
                && snapshot.value("node_filesystem_size_bytes", Self.srv) == 10_240_000_000
                && snapshot.value("node_filesystem_size_bytes", Self.root) == 20_480_000_000
        }
        #expect(servedAgain)
        #expect(hanging.calls("/host/boot") == 1)
    }

    @Test func severalHungMountsEachHoldOneThread() throws {
        let hanging = HangingFilesystemStats(
            base: Fixtures.filesystemStats, hanging: ["/host", "/host/run", "/host/boot", "/host/srv", "/host/mnt/nfs"])
        defer { hanging.release() }
        let registry = try Self.registry(hanging: hanging, workers: 2)

        let (_, firstSeconds) = measure { registry.collect() }
        #expect(firstSeconds < Self.timeout + 4)
        let allBlocked = eventually(within: 5) { hanging.blocked == 5 }
        #expect(allBlocked)
        let (later, laterSeconds) = measure { registry.collect() }
        #expect(laterSeconds < Self.timeout / 2)
        #expect(
            later.value(
                "node_filesystem_size_bytes",
                [
                    "device": "/dev/nvme0n1p1", "device_error": "", "fstype": "xfs", "mountpoint": "/mnt/my disk",
                ]) == 1_024_000_000_000)
        #expect(later.family(sample: "node_filesystem_device_error")?.values.filter { $0 == 1 }.count == 5)
        for path in ["/host", "/host/run", "/host/boot", "/host/srv", "/host/mnt/nfs"] {
            #expect(hanging.calls(path) == 1, "\(path)")
        }
    }
}

/// Results gathered from several threads.
final class ResultBox: Sendable {
    private let state = Mutex<(values: [Double?], seconds: [Double])>(([], []))

    func append(_ value: Double?, _ seconds: Double) {
        state.withLock {
            $0.values.append(value)
            $0.seconds.append(seconds)
        }
    }

    var values: [Double?] { state.withLock { $0.values } }
    var seconds: [Double] { state.withLock { $0.seconds } }
}
