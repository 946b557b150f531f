import Foundation
import HostCollectors
import MetricsCore
import MonotonicTime
import Synchronization
import Testing

/// A mount whose `statfs` hangs, through the `FilesystemStatsSource` seam, timed by a clock the tests move by hand:
/// a collection that must wait for the mount timeout finishes only once the clock has passed it, and one that must
/// not wait finishes with the clock standing still. Every wait for a collection on another thread is bounded.
@Suite struct MountTimeoutTests {
    static let timeout = Duration.seconds(5)
    static let srv = [
        "device": "/dev/mapper/vg0-srv", "device_error": "", "fstype": "ext4", "mountpoint": "/srv",
    ]
    static let stuckSrv = [
        "device": "/dev/mapper/vg0-srv", "device_error": "mountpoint timeout", "fstype": "ext4",
        "mountpoint": "/srv",
    ]
    static let root = ["device": "/dev/vda1", "device_error": "", "fstype": "ext4", "mountpoint": "/"]

    static func registry(
        hanging: HangingFilesystemStats, clock: ManualClock, workers: Int = 4
    ) throws
        -> MetricRegistry
    {
        var options = Fixtures.options(filesystemStats: hanging)
        options.filesystemMountTimeout = timeout
        options.filesystemStatWorkers = workers
        options.clock = clock.clock
        return try makeRegistry(collectors: ["filesystem"], options: options)
    }

    @Test func aHungMountCostsOneTimeoutThenNothingUntilItReturns() throws {
        let hanging = HangingFilesystemStats(base: Fixtures.filesystemStats, hanging: [Fixtures.rootFS + "/srv"])
        defer { hanging.release() }
        let clock = ManualClock()
        let registry = try Self.registry(hanging: hanging, clock: clock)

        let collection = BackgroundCollection(registry)
        #expect(eventually(within: 10) { hanging.blocked == 1 })
        #expect(collection.snapshot == nil, "the collection must wait for the mount timeout")
        clock.advance(by: Self.timeout)
        let first = try #require(collection.result(within: 10))
        #expect(first.success("filesystem") == 1)
        #expect(first.value("node_filesystem_device_error", Self.stuckSrv) == 1)
        #expect(first.value("node_filesystem_readonly", Self.stuckSrv) == 1)
        #expect(first.value("node_filesystem_size_bytes", Self.stuckSrv) == nil)
        #expect(first.value("node_filesystem_device_error", Self.root) == 0)
        #expect(first.value("node_filesystem_size_bytes", Self.root) == 20_480_000_000)
        #expect(first.labels("node_filesystem_size_bytes").count == 4)

        // The clock stands still from here on: a collection that waited for the stuck mount would never finish.
        for _ in 0..<3 {
            let later = try #require(BackgroundCollection(registry).result(within: 10))
            #expect(later.value("node_filesystem_device_error", Self.stuckSrv) == 1)
            #expect(later.value("node_filesystem_size_bytes", Self.root) == 20_480_000_000)
        }
        #expect(hanging.calls(Fixtures.rootFS + "/srv") == 1)
        #expect(hanging.blocked == 1)

        hanging.release()
        let recovered = eventually(within: 10) {
            registry.collect().value("node_filesystem_size_bytes", Self.srv) == 10_240_000_000
        }
        #expect(recovered)
        let after = registry.collect()
        #expect(after.value("node_filesystem_device_error", Self.srv) == 0)
        #expect(after.value("node_filesystem_device_error", Self.stuckSrv) == nil)
    }

    @Test func concurrentCollectionsShareOneCall() throws {
        let hanging = HangingFilesystemStats(base: Fixtures.filesystemStats, hanging: [Fixtures.rootFS + "/srv"])
        defer { hanging.release() }
        let clock = ManualClock()
        let registry = try Self.registry(hanging: hanging, clock: clock)

        let collections = [BackgroundCollection(registry), BackgroundCollection(registry)]
        #expect(eventually(within: 10) { hanging.blocked == 1 })
        clock.advance(by: Self.timeout)
        let snapshots = collections.compactMap { $0.result(within: 10) }
        try #require(snapshots.count == 2)
        #expect(snapshots.map { $0.value("node_filesystem_device_error", Self.stuckSrv) } == [1, 1])
        #expect(hanging.calls(Fixtures.rootFS + "/srv") == 1)
    }

    @Test func aStuckWorkerIsReplacedSoOtherMountsAreStillServed() throws {
        let hanging = HangingFilesystemStats(base: Fixtures.filesystemStats, hanging: [Fixtures.rootFS + "/boot"])
        defer { hanging.release() }
        let clock = ManualClock()
        let registry = try Self.registry(hanging: hanging, clock: clock, workers: 1)

        let first = BackgroundCollection(registry)
        #expect(eventually(within: 10) { hanging.blocked == 1 })
        clock.advance(by: Self.timeout)
        _ = try #require(first.result(within: 10))
        let boot = [
            "device": "/dev/vda2", "device_error": "mountpoint timeout", "fstype": "ext4", "mountpoint": "/boot",
        ]
        let servedAgain = eventually(within: 10) {
            guard let snapshot = BackgroundCollection(registry).result(within: 10) else { return false }
            return snapshot.value("node_filesystem_device_error", boot) == 1
                && snapshot.value("node_filesystem_size_bytes", Self.srv) == 10_240_000_000
                && snapshot.value("node_filesystem_size_bytes", Self.root) == 20_480_000_000
        }
        #expect(servedAgain)
        #expect(hanging.calls(Fixtures.rootFS + "/boot") == 1)
    }

    @Test func severalHungMountsEachHoldOneThread() throws {
        let hanging = HangingFilesystemStats(
            base: Fixtures.filesystemStats,
            hanging: [
                Fixtures.rootFS, Fixtures.rootFS + "/run", Fixtures.rootFS + "/boot", Fixtures.rootFS + "/srv",
                Fixtures.rootFS + "/mnt/nfs",
            ])
        defer { hanging.release() }
        let clock = ManualClock()
        let registry = try Self.registry(hanging: hanging, clock: clock, workers: 2)

        // A second worker is recruited only once the helper delay has passed on the clock, which stands still here.
        let first = BackgroundCollection(registry)
        #expect(eventually(within: 10) { hanging.blocked == 1 })
        clock.advance(by: Self.timeout)
        _ = try #require(first.result(within: 10))
        let allBlocked = eventually(within: 10) { hanging.blocked == 5 }
        #expect(allBlocked)
        let later = try #require(BackgroundCollection(registry).result(within: 10))
        #expect(
            later.value(
                "node_filesystem_size_bytes",
                [
                    "device": "/dev/nvme0n1p1", "device_error": "", "fstype": "xfs", "mountpoint": "/mnt/my disk",
                ]) == 1_024_000_000_000)
        #expect(later.family(sample: "node_filesystem_device_error")?.values.filter { $0 == 1 }.count == 5)
        for path in [
            Fixtures.rootFS, Fixtures.rootFS + "/run", Fixtures.rootFS + "/boot", Fixtures.rootFS + "/srv",
            Fixtures.rootFS + "/mnt/nfs",
        ] {
            #expect(hanging.calls(path) == 1, "\(path)")
        }
    }
}

/// A collection running on a thread of its own, so that a test can move the clock while it waits.
final class BackgroundCollection: Sendable {
    private let finished = Mutex<MetricsSnapshot?>(nil)

    init(_ registry: MetricRegistry) {
        Thread.detachNewThread { [self] in
            let snapshot = registry.collect()
            finished.withLock { $0 = snapshot }
        }
    }

    /// The snapshot, once the collection has finished.
    var snapshot: MetricsSnapshot? {
        finished.withLock { $0 }
    }

    /// The snapshot, waiting for it at most `seconds`; nil if the collection has not finished by then.
    func result(within seconds: Double) -> MetricsSnapshot? {
        _ = eventually(within: seconds) { snapshot != nil }
        return snapshot
    }
}
