import MetricsCore
import ProcFS
import Synchronization

/// node_exporter's `cpu` collector over /proc/stat: `node_cpu_seconds_total{cpu,mode}` for the eight modes and
/// `node_cpu_guest_seconds_total{cpu,mode}` for guest time (collector/cpu_linux.go).
///
/// The kernel's per-CPU counters can step backwards (iowait is an estimate, see proc(5)), so each mode exposes the
/// largest value seen, as node_exporter does. When idle falls by ``hotplugIdleDrop`` seconds or more, the CPU is
/// taken to have been unplugged and plugged back, and its counters start over from the kernel's values. A CPU
/// without a line (offline) is forgotten, and starts over when it returns.
final class CPUCollector: Sendable {
    /// A drop of idle time, in seconds, that means a hot-plugged CPU rather than jitter (node_exporter's
    /// `jumpBackSeconds`).
    static let hotplugIdleDrop = 3.0

    /// USER_HZ: /proc/stat counts ticks of 1/100 s on every architecture Linux exposes it on.
    static let ticksPerSecond = 100.0

    /// The `mode` label values of `node_cpu_seconds_total`, in exposure (byte) order.
    static let modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
    /// The `mode` label values of `node_cpu_guest_seconds_total`, in exposure order.
    static let guestModes = ["nice", "user"]

    /// /proc/stat.
    private let file: KernelFile
    private let seconds: ObservableInstrument
    private let guestSeconds: ObservableInstrument?
    private let state = Mutex(State())

    private struct State {
        /// Per online CPU number: the times last exposed and the label sets.
        var entries: [Int: Entry] = [:]
        /// The CPU numbers of the last read, in file order; when they change, `order` is recomputed.
        var numbers: [Int] = []
        /// The CPU numbers in exposure order ("10" sorts before "2").
        var order: [Int] = []

        /// Advances every online CPU and forgets the offline ones.
        mutating func update(with cpus: [KernelStat.CPU]) {
            var numbersChanged = cpus.count != numbers.count
            for (position, cpu) in cpus.enumerated() {
                if !numbersChanged && numbers[position] != cpu.index { numbersChanged = true }
                let new = ModeTimes(cpu.times)
                if entries[cpu.index] == nil { entries[cpu.index] = Entry(number: cpu.index) }
                entries[cpu.index]?.times.advance(to: new)
            }
            guard numbersChanged else { return }
            numbers = cpus.map(\.index)
            let online = Set(numbers)
            entries = entries.filter { online.contains($0.key) }
            order = online.sorted { String($0).utf8.lexicographicallyPrecedes(String($1).utf8) }
        }
    }

    private struct Entry {
        var times: ModeTimes
        /// One label set per element of ``CPUCollector/modes``.
        let modeLabels: [LabelSet]
        /// One label set per element of ``CPUCollector/guestModes``.
        let guestLabels: [LabelSet]

        init(number: Int) {
            let cpu = String(number)
            times = ModeTimes()
            modeLabels = CPUCollector.modes.map {
                LabelSet(sortedUniqueLabels: [Label("cpu", cpu), Label("mode", $0)])
            }
            guestLabels = CPUCollector.guestModes.map {
                LabelSet(sortedUniqueLabels: [Label("cpu", cpu), Label("mode", $0)])
            }
        }
    }

    /// The seconds of one CPU in each mode.
    struct ModeTimes: Equatable {
        var user = 0.0
        var nice = 0.0
        var system = 0.0
        var idle = 0.0
        var iowait = 0.0
        var irq = 0.0
        var softirq = 0.0
        var steal = 0.0
        var guest = 0.0
        var guestNice = 0.0

        init() {}

        init(_ ticks: KernelStat.CPUTimes) {
            user = Double(ticks.user) / CPUCollector.ticksPerSecond
            nice = Double(ticks.nice) / CPUCollector.ticksPerSecond
            system = Double(ticks.system) / CPUCollector.ticksPerSecond
            idle = Double(ticks.idle) / CPUCollector.ticksPerSecond
            iowait = Double(ticks.iowait) / CPUCollector.ticksPerSecond
            irq = Double(ticks.irq) / CPUCollector.ticksPerSecond
            softirq = Double(ticks.softirq) / CPUCollector.ticksPerSecond
            steal = Double(ticks.steal) / CPUCollector.ticksPerSecond
            guest = Double(ticks.guest) / CPUCollector.ticksPerSecond
            guestNice = Double(ticks.guestNice) / CPUCollector.ticksPerSecond
        }

        /// Takes each mode of `new` that did not go backwards, after resetting everything on a hot-plug.
        mutating func advance(to new: ModeTimes) {
            if idle - new.idle >= CPUCollector.hotplugIdleDrop { self = ModeTimes() }
            user = Swift.max(user, new.user)
            nice = Swift.max(nice, new.nice)
            system = Swift.max(system, new.system)
            idle = Swift.max(idle, new.idle)
            iowait = Swift.max(iowait, new.iowait)
            irq = Swift.max(irq, new.irq)
            softirq = Swift.max(softirq, new.softirq)
            steal = Swift.max(steal, new.steal)
            guest = Swift.max(guest, new.guest)
            guestNice = Swift.max(guestNice, new.guestNice)
        }

        /// The values in the order of ``CPUCollector/modes``.
        var exposedModes: (Double, Double, Double, Double, Double, Double, Double, Double) {
            (idle, iowait, irq, nice, softirq, steal, system, user)
        }
    }

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try CPUCollector(meter: meter, context: context)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let options = context.options
        file = KernelFile(path: options.procFS.path("stat"))
        var specs = [
            InstrumentSpec.counter(
                "node_cpu_seconds_total", unit: "s", help: "Time each CPU spent in each mode, in seconds.")
        ]
        if options.cpuGuest {
            specs.append(
                .counter(
                    "node_cpu_guest_seconds_total", unit: "s",
                    help: "Time each CPU spent running virtual CPUs of guests, in seconds (also in user and nice)."))
        }
        let instruments = try InstrumentFactory(meter: meter).make(specs)
        seconds = instruments[0]
        guestSeconds = options.cpuGuest ? instruments[1] : nil
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let stat = try file.parse(KernelStat.parse)
        state.withLock { state in
            state.update(with: stat.cpus)
            for number in state.order {
                guard let entry = state.entries[number] else { continue }
                let values = entry.times.exposedModes
                let labels = entry.modeLabels
                recorder.observe(seconds, values.0, labels: labels[0])
                recorder.observe(seconds, values.1, labels: labels[1])
                recorder.observe(seconds, values.2, labels: labels[2])
                recorder.observe(seconds, values.3, labels: labels[3])
                recorder.observe(seconds, values.4, labels: labels[4])
                recorder.observe(seconds, values.5, labels: labels[5])
                recorder.observe(seconds, values.6, labels: labels[6])
                recorder.observe(seconds, values.7, labels: labels[7])
                if let guestSeconds {
                    recorder.observe(guestSeconds, entry.times.guestNice, labels: entry.guestLabels[0])
                    recorder.observe(guestSeconds, entry.times.guest, labels: entry.guestLabels[1])
                }
            }
        }
    }
}
