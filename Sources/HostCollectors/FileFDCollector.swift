import MetricsCore
import ProcFS

/// node_exporter's `filefd` collector: `node_filefd_allocated` and `node_filefd_maximum` from /proc/sys/fs/file-nr
/// (collector/filefd_linux.go), which the node-mixin's NodeFileDescriptorLimit alerts divide.
final class FileFDCollector: Sendable {
    /// /proc/sys/fs/file-nr.
    private let file: KernelFile
    private let allocated: ObservableInstrument
    private let maximum: ObservableInstrument

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try FileFDCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        file = KernelFile(path: options.procFS.path("sys/fs/file-nr"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_filefd_allocated", help: "File descriptor statistics: allocated."),
            .gauge("node_filefd_maximum", help: "File descriptor statistics: maximum."),
        ])
        allocated = instruments[0]
        maximum = instruments[1]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        guard let counts = try file.parseIfPresent(FileNR.parse) else { return }
        recorder.observe(allocated, Double(counts.allocated))
        recorder.observe(maximum, Double(counts.maximum))
    }
}
