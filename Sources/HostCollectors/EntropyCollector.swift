import MetricsCore
import ProcFS

/// node_exporter's `entropy` collector: `node_entropy_available_bits` and `node_entropy_pool_size_bits` from
/// /proc/sys/kernel/random/entropy_avail and poolsize (collector/entropy_linux.go).
final class EntropyCollector: Sendable {
    /// /proc/sys/kernel/random/entropy_avail.
    private let availableFile: KernelFile
    /// /proc/sys/kernel/random/poolsize.
    private let poolSizeFile: KernelFile
    private let available: ObservableInstrument
    private let poolSize: ObservableInstrument

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try EntropyCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        availableFile = KernelFile(path: options.procFS.path("sys/kernel/random/entropy_avail"))
        poolSizeFile = KernelFile(path: options.procFS.path("sys/kernel/random/poolsize"))
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge("node_entropy_available_bits", help: "Bits of available entropy."),
            .gauge("node_entropy_pool_size_bits", help: "Bits of entropy pool."),
        ])
        available = instruments[0]
        poolSize = instruments[1]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        if let bits = try availableFile.parseIfPresent(KernelRandom.parseBits) {
            recorder.observe(available, Double(bits))
        }
        if let bits = try poolSizeFile.parseIfPresent(KernelRandom.parseBits) {
            recorder.observe(poolSize, Double(bits))
        }
    }
}
