import Glibc
import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `bonding` collector: for each bonding master of /sys/class/net/bonding_masters, the number of
/// slaves in `<master>/bonding/slaves` and how many of them have `mii_status` `up` (collector/bonding_linux.go).
///
/// A slave's status is read through the master, `<master>/lower_<slave>/bonding_slave/mii_status`, or
/// `<master>/slave_<slave>/...` on older kernels. A host without the bonding driver has no `bonding_masters` and
/// exposes nothing; a master or slave file that cannot be read fails the collector, as in node_exporter.
final class BondingCollector: Sendable {
    private let sysFS: SysFS
    /// /sys/class/net/bonding_masters.
    private let mastersFile: KernelFile
    private let slaves: ObservableInstrument
    private let active: ObservableInstrument
    private let state = Mutex(State())

    private struct State: Sendable {
        var mastersBytes: [UInt8]?
        /// The masters by name, in the order their label sets sort.
        var masters: [Master] = []
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try BondingCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        sysFS = options.sysFS
        mastersFile = KernelFile(path: options.sysFS.path("class/net/bonding_masters"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_bonding_slaves", help: "Number of configured slaves per bonding interface."),
            .gauge("node_bonding_active", help: "Number of active slaves per bonding interface."),
        ])
        slaves = instruments[0]
        active = instruments[1]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        try state.withLock { (state) throws(ProcFSError) in
            guard let bytes = try mastersFile.readAttribute(skipping: [ENOENT]) else {
                state = State()
                return
            }
            if bytes != state.mastersBytes {
                let previous = Dictionary(state.masters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
                state.masters = Set(SysFSAttribute.parseNames(bytes)).sorted().map { name in
                    previous[name] ?? Master(name: name, sysFS: sysFS)
                }
                state.mastersBytes = bytes
            }
            for master in state.masters {
                let (configured, up) = try master.count()
                recorder.observe(slaves, Double(configured), labels: master.labels)
                recorder.observe(active, Double(up), labels: master.labels)
            }
        }
    }

    /// One bonding master and the files of its slaves.
    private final class Master: @unchecked Sendable {
        // `@unchecked`: only touched with the collector's lock held.
        let name: String
        /// `{master}`.
        let labels: LabelSet
        private let directory: String
        /// `<master>/bonding/slaves`.
        private let slavesFile: KernelFile
        private var slavesBytes: [UInt8]?
        /// For each slave, its `lower_` and `slave_` status files.
        private var slaveFiles: [(lower: KernelFile, legacy: KernelFile)] = []

        init(name: String, sysFS: SysFS) {
            self.name = name
            labels = LabelSet(sortedUniqueLabels: [Label("master", name)])
            directory = sysFS.path("class/net/\(name)")
            slavesFile = KernelFile(path: directory + "/bonding/slaves")
        }

        /// The number of slaves and of those whose MII status is `up`.
        func count() throws(ProcFSError) -> (configured: Int, up: Int) {
            let bytes = try slavesFile.read()
            if bytes != slavesBytes {
                slavesBytes = bytes
                slaveFiles = SysFSAttribute.parseNames(bytes).map { slave in
                    (
                        KernelFile(path: "\(directory)/lower_\(slave)/bonding_slave/mii_status"),
                        KernelFile(path: "\(directory)/slave_\(slave)/bonding_slave/mii_status")
                    )
                }
            }
            var up = 0
            for files in slaveFiles {
                var status = try files.lower.readAttribute(skipping: [ENOENT])
                if status == nil { status = try files.legacy.read() }
                guard let status else { continue }
                if SysFSAttribute.parseText(status) == "up" { up += 1 }
            }
            return (slaveFiles.count, up)
        }
    }
}
