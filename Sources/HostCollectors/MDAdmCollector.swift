import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `mdadm` collector: per software RAID array of /proc/mdstat, `node_md_disks{device,state}` for
/// active, failed and spare members, `node_md_disks_required`, `node_md_state{device,state}` (1 for the array's
/// activity among active, inactive, recovering, resync and check), `node_md_blocks` and `node_md_blocks_synced`
/// (collector/mdadm_linux.go). A kernel without the md driver has no /proc/mdstat: nothing is exposed.
final class MDAdmCollector: Sendable {
    /// /proc/mdstat.
    private let file: KernelFile
    private let disks: ObservableInstrument
    private let requiredDisks: ObservableInstrument
    private let state: ObservableInstrument
    private let blocks: ObservableInstrument
    private let syncedBlocks: ObservableInstrument
    private let layout = Mutex(DeviceLayout<Labels>())

    /// The `state` label values of `node_md_state` and the activity that sets each to 1.
    private static let states = [
        ("active", "active"), ("inactive", "inactive"), ("recovering", "recovering"), ("resync", "resyncing"),
        ("check", "checking"),
    ]

    /// The label sets of one array.
    private struct Labels {
        let device: LabelSet
        let activeDisks: LabelSet
        let failedDisks: LabelSet
        let spareDisks: LabelSet
        /// One per element of ``MDAdmCollector/states``.
        let states: [LabelSet]

        init(device name: String) {
            let device = Label("device", name)
            self.device = LabelSet(sortedUniqueLabels: [device])
            activeDisks = LabelSet(sortedUniqueLabels: [device, Label("state", "active")])
            failedDisks = LabelSet(sortedUniqueLabels: [device, Label("state", "failed")])
            spareDisks = LabelSet(sortedUniqueLabels: [device, Label("state", "spare")])
            states = MDAdmCollector.states.map { LabelSet(sortedUniqueLabels: [device, Label("state", $0.0)]) }
        }
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try MDAdmCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("mdstat"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_md_disks", help: "Number of active/failed/spare disks of device."),
            .gauge("node_md_disks_required", help: "Total number of disks of device."),
            .gauge("node_md_state", help: "Indicates the state of md-device."),
            .gauge("node_md_blocks", help: "Total number of blocks on device."),
            .gauge("node_md_blocks_synced", help: "Number of blocks synced on device."),
        ])
        disks = instruments[0]
        requiredDisks = instruments[1]
        state = instruments[2]
        blocks = instruments[3]
        syncedBlocks = instruments[4]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        guard let mdstat = try file.parseIfPresent(MDStat.parse) else { return }
        let arrays = mdstat.arrays
        layout.withLock { layout in
            layout.update(
                count: arrays.count, name: { arrays[$0].name }, makeEntry: { Labels(device: $0) },
                labels: { $0.device })
            let slots = layout.slots
            for position in layout.order {
                guard let labels = slots[position] else { continue }
                let array = arrays[position]
                recorder.observe(disks, Double(array.activeDisks), labels: labels.activeDisks)
                recorder.observe(disks, Double(array.failedDisks), labels: labels.failedDisks)
                recorder.observe(disks, Double(array.spareDisks), labels: labels.spareDisks)
                recorder.observe(requiredDisks, Double(array.requiredDisks), labels: labels.device)
                for (index, activity) in Self.states.enumerated() {
                    recorder.observe(
                        state, array.activityState == activity.1 ? 1 : 0, labels: labels.states[index])
                }
                recorder.observe(blocks, Double(array.blocks), labels: labels.device)
                recorder.observe(syncedBlocks, Double(array.syncedBlocks), labels: labels.device)
            }
        }
    }
}
