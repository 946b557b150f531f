import MetricsCore
import Synchronization

/// node_exporter's `uname` collector: `node_uname_info{domainname,machine,nodename,release,sysname,version}` 1 from
/// `uname(2)` (collector/uname.go). Grafana's "Node Exporter Full" dashboard takes its host variable from it.
final class UnameCollector: Sendable {
    private let source: any SystemNameSource
    private let info: ObservableInstrument
    /// The last names and their label set, rebuilt only when the names change (a new host name).
    private let cached = Mutex<(names: SystemName, labels: LabelSet)?>(nil)

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try UnameCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        source = options.systemNames
        info = try InstrumentFactory(meter: meter).make(
            .gauge("node_uname_info", help: "Labeled system information as provided by the uname system call."))
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let names = try source.systemName()
        let labels = cached.withLock { cached in
            if let cached, cached.names == names { return cached.labels }
            let labels = LabelSet(sortedUniqueLabels: [
                Label("domainname", names.domainName), Label("machine", names.machine),
                Label("nodename", names.nodeName), Label("release", names.release),
                Label("sysname", names.systemName), Label("version", names.version),
            ])
            cached = (names, labels)
            return labels
        }
        recorder.observe(info, 1, labels: labels)
    }
}
