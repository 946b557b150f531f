import MetricsCore
import ProcFS

/// node_exporter's `udp_queues` collector: the bytes queued in all UDP sockets, from /proc/net/udp and
/// /proc/net/udp6, as `node_udp_queues{ip="v4"|"v6",queue="rx"|"tx"}` (collector/udp_queues_linux.go). A file that
/// does not exist (IPv4 or IPv6 turned off) is left out.
final class UDPQueuesCollector: Sendable {
    /// /proc/net/udp and /proc/net/udp6, each with the label sets of its receive and transmit queues.
    private let files: [(file: KernelFile, receive: LabelSet, transmit: LabelSet)]
    private let queues: ObservableInstrument

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try UDPQueuesCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        files = [("net/udp", "v4"), ("net/udp6", "v6")].map { path, ip in
            (
                KernelFile(path: options.procFS.path(path)),
                LabelSet(sortedUniqueLabels: [Label("ip", ip), Label("queue", "rx")]),
                LabelSet(sortedUniqueLabels: [Label("ip", ip), Label("queue", "tx")])
            )
        }
        queues = try InstrumentFactory(meter: meter).make(
            .gauge("node_udp_queues", help: "Bytes queued in UDP sockets, by IP version and queue."))
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        for (file, receive, transmit) in files {
            guard let udp = try file.parseIfPresent(UDPQueues.parse) else { continue }
            recorder.observe(queues, Double(udp.receiveBytes), labels: receive)
            recorder.observe(queues, Double(udp.transmitBytes), labels: transmit)
        }
    }
}
