import Foundation
import HostCollectors
import MetricsCore
import ProcFS
import Testing

/// The collectors over this machine's /proc and /sys, where the kernel files stay open between collections and are
/// read again from offset 0: later collections must see fresh content.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat")))
struct RealProcTests {
    @Test func everyCollectorSucceedsAgainAndAgain() throws {
        var options = HostCollectorOptions()
        options.filesystemMountTimeout = .seconds(2)
        let registry = try makeRegistry(
            collectors: HostCollectorTable.entries.map(\.name), options: options, process: true)
        for _ in 0..<3 {
            let snapshot = registry.collect()
            let failures = snapshot.producerResults.filter { !$0.succeeded }.map { "\($0.name): \($0.error ?? "")" }
            #expect(failures.isEmpty)
            #expect((snapshot.value("node_memory_MemTotal_bytes") ?? 0) > 0)
            #expect((snapshot.value("node_boot_time_seconds") ?? 0) > 1_000_000_000)
            #expect(!snapshot.labels("node_cpu_seconds_total").isEmpty)
            #expect((snapshot.value("process_resident_memory_bytes") ?? 0) > 0)
        }
    }

    @Test func aKeptOpenFileShowsFreshContent() throws {
        let registry = try makeRegistry(collectors: ["stat"], options: HostCollectorOptions())
        let before = try #require(registry.collect().value("node_context_switches_total"))
        usleep(20_000)
        let after = try #require(registry.collect().value("node_context_switches_total"))
        #expect(after > before)
    }
}
