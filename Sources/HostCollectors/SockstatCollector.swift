import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `sockstat` collector: /proc/net/sockstat and /proc/net/sockstat6 as the gauges
/// `node_sockstat_sockets_used` and `node_sockstat_<PROTOCOL>_<count>` for the counts `inuse`, `orphan`, `tw`,
/// `alloc`, `mem` (pages), `memory` (bytes) and `mem_bytes` (`mem` times the page size) that each protocol line has
/// (collector/sockstat_linux.go). `inuse` is reported for every protocol line, 0 when the line lacks it, as
/// node_exporter does. A file that does not exist (IPv4 or IPv6 turned off) is left out.
final class SockstatCollector: Sendable {
    /// The suffixes of the per-protocol gauges, in the order of ``values(of:pageSize:)``.
    private static let suffixes = ["inuse", "orphan", "tw", "alloc", "mem", "memory", "mem_bytes"]

    private let files: [KernelFile]
    private let pageSize: Int64
    private let socketsUsed: ObservableInstrument
    private let instruments: LearnedInstruments
    /// The instruments of each protocol seen, one per suffix (nil for a count the protocol has not had yet).
    private let protocols = Mutex<[String: [ObservableInstrument?]]>([:])

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try SockstatCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        files = [
            KernelFile(path: options.procFS.path("net/sockstat")),
            KernelFile(path: options.procFS.path("net/sockstat6")),
        ]
        pageSize = Int64(options.pageSize)
        instruments = LearnedInstruments(meter: meter)
        // The counts present now get their instruments at once.
        var keys: [(key: String, spec: InstrumentSpec?)] = []
        for file in files {
            for counts in (try? file.parse(Sockstat.parse))?.protocols ?? [] {
                for (suffix, value) in zip(Self.suffixes, Self.values(of: counts, pageSize: pageSize))
                where value != nil {
                    let spec = Self.spec(protocol: counts.name, suffix: suffix)
                    keys.append((spec.name, spec))
                }
            }
        }
        try instruments.register(keys)
        // After the protocols' gauges, since upper case sorts first.
        socketsUsed = try InstrumentFactory(meter: meter).make(
            .gauge("node_sockstat_sockets_used", help: "Sockets in use, of any kind."))
    }

    private static func spec(protocol name: String, suffix: String) -> InstrumentSpec {
        let metric = "node_sockstat_\(name)_\(suffix)"
        return switch suffix {
        case "inuse": .gauge(metric, help: "\(name) sockets in use.")
        case "orphan": .gauge(metric, help: "\(name) sockets no process holds any more (orphaned).")
        case "tw": .gauge(metric, help: "\(name) sockets in TIME_WAIT.")
        case "alloc": .gauge(metric, help: "\(name) sockets allocated.")
        case "mem": .gauge(metric, help: "Memory \(name) sockets use, in pages.")
        case "memory": .gauge(metric, help: "Memory \(name) uses, in bytes.")
        default: .gauge(metric, unit: "By", help: "Memory \(name) sockets use, in bytes.")
        }
    }

    /// The counts of a protocol line in the order of ``suffixes``; `inuse` is 0 when the line lacks it.
    private static func values(of counts: Sockstat.ProtocolCounts, pageSize: Int64) -> [Int64?] {
        [
            counts.inUse ?? 0, counts.orphan, counts.timeWait, counts.allocated, counts.memoryPages,
            counts.memoryBytes, counts.memoryPages.map { $0 &* pageSize },
        ]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        for file in files {
            guard let sockstat = try file.parseIfPresent(Sockstat.parse) else { continue }
            if let used = sockstat.socketsUsed { recorder.observe(socketsUsed, Double(used)) }
            protocols.withLock { protocols in
                for counts in sockstat.protocols {
                    let values = Self.values(of: counts, pageSize: pageSize)
                    var known = protocols[counts.name] ?? Array(repeating: nil, count: Self.suffixes.count)
                    var learned = false
                    for (index, value) in values.enumerated() {
                        guard let value else { continue }
                        if known[index] == nil {
                            let spec = Self.spec(protocol: counts.name, suffix: Self.suffixes[index])
                            known[index] = instruments.instrument(for: spec.name) { spec }
                            learned = true
                        }
                        if let instrument = known[index] { recorder.observe(instrument, Double(value)) }
                    }
                    if learned { protocols[counts.name] = known }
                }
            }
        }
    }
}
