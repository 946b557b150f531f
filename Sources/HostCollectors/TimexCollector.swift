import Glibc
import MetricsCore

/// node_exporter's `timex` collector: the kernel clock's discipline state from `adjtimex(2)` as `node_timex_*`,
/// with node_exporter's names, types and units (collector/timex.go). The node-mixin alerts NodeClockSkewDetected
/// and NodeClockNotSynchronising use `node_timex_offset_seconds`, `node_timex_maxerror_seconds` and
/// `node_timex_sync_status`.
///
/// Where `adjtimex` is not permitted (a seccomp profile that forbids it), nothing is exposed, as node_exporter
/// does.
final class TimexCollector: Sendable {
    private let source: any ClockAdjustmentSource
    private let syncStatus: ObservableInstrument
    private let offset: ObservableInstrument
    private let frequency: ObservableInstrument
    private let maximumError: ObservableInstrument
    private let estimatedError: ObservableInstrument
    private let status: ObservableInstrument
    private let constant: ObservableInstrument
    private let tick: ObservableInstrument
    private let ppsFrequency: ObservableInstrument
    private let ppsJitter: ObservableInstrument
    private let ppsShift: ObservableInstrument
    private let ppsStability: ObservableInstrument
    private let ppsJitterCount: ObservableInstrument
    private let ppsCalibrationCount: ObservableInstrument
    private let ppsErrorCount: ObservableInstrument
    private let ppsStabilityExceededCount: ObservableInstrument
    private let taiOffset: ObservableInstrument

    /// Parts per million with a 16-bit binary fraction, the unit of `freq`, `ppsfreq` and `stabil` (adjtimex(2),
    /// NOTES).
    private static let ppm16Fraction = 1_000_000.0 * 65536.0

    static func register(on meter: Meter, context: CollectorContext) throws(HostCollectorError) {
        let collector = try TimexCollector(meter: meter, options: context.options)
        meter.addCallback { recorder in try collector.collect(into: &recorder) }
    }

    private init(meter: Meter, options: HostCollectorOptions) throws(HostCollectorError) {
        source = options.clockAdjustment
        let instruments = try InstrumentFactory(meter: meter).make([
            .gauge(
                "node_timex_sync_status", help: "Is clock synchronized to a reliable server (1 = yes, 0 = no)."),
            .gauge(
                "node_timex_offset_seconds", unit: "s",
                help: "Time offset in between local system and reference clock."),
            .gauge("node_timex_frequency_adjustment_ratio", help: "Local clock frequency adjustment."),
            .gauge("node_timex_maxerror_seconds", unit: "s", help: "Maximum error in seconds."),
            .gauge("node_timex_estimated_error_seconds", unit: "s", help: "Estimated error in seconds."),
            .gauge("node_timex_status", help: "Value of the status array bits."),
            .gauge("node_timex_loop_time_constant", help: "Phase-locked loop time constant."),
            .gauge("node_timex_tick_seconds", unit: "s", help: "Seconds between clock ticks."),
            .gauge("node_timex_pps_frequency_hertz", unit: "Hz", help: "Pulse per second frequency."),
            .gauge("node_timex_pps_jitter_seconds", unit: "s", help: "Pulse per second jitter."),
            .gauge("node_timex_pps_shift_seconds", unit: "s", help: "Pulse per second interval duration."),
            .gauge(
                "node_timex_pps_stability_hertz", unit: "Hz",
                help: "Pulse per second stability, average of recent frequency changes."),
            .counter(
                "node_timex_pps_jitter_total", help: "Pulse per second count of jitter limit exceeded events."),
            .counter("node_timex_pps_calibration_total", help: "Pulse per second count of calibration intervals."),
            .counter("node_timex_pps_error_total", help: "Pulse per second count of calibration errors."),
            .counter(
                "node_timex_pps_stability_exceeded_total",
                help: "Pulse per second count of stability limit exceeded events."),
            .gauge("node_timex_tai_offset_seconds", unit: "s", help: "International Atomic Time (TAI) offset."),
        ])
        syncStatus = instruments[0]
        offset = instruments[1]
        frequency = instruments[2]
        maximumError = instruments[3]
        estimatedError = instruments[4]
        status = instruments[5]
        constant = instruments[6]
        tick = instruments[7]
        ppsFrequency = instruments[8]
        ppsJitter = instruments[9]
        ppsShift = instruments[10]
        ppsStability = instruments[11]
        ppsJitterCount = instruments[12]
        ppsCalibrationCount = instruments[13]
        ppsErrorCount = instruments[14]
        ppsStabilityExceededCount = instruments[15]
        taiOffset = instruments[16]
    }

    func collect(into recorder: inout ObservationRecorder) throws {
        let state: ClockAdjustmentState
        do {
            state = try source.clockAdjustmentState()
        } catch  where error.errno == EPERM {
            return
        }
        let divisor = state.status & ClockAdjustmentState.nanosecondResolution != 0 ? 1e9 : 1e6
        recorder.observe(syncStatus, state.clockState == ClockAdjustmentState.timeError ? 0 : 1)
        recorder.observe(offset, Double(state.offset) / divisor)
        recorder.observe(frequency, 1 + Double(state.frequency) / Self.ppm16Fraction)
        recorder.observe(maximumError, Double(state.maximumError) / 1e6)
        recorder.observe(estimatedError, Double(state.estimatedError) / 1e6)
        recorder.observe(status, Double(state.status))
        recorder.observe(constant, Double(state.constant))
        recorder.observe(tick, Double(state.tick) / 1e6)
        recorder.observe(ppsFrequency, Double(state.ppsFrequency) / Self.ppm16Fraction)
        recorder.observe(ppsJitter, Double(state.jitter) / divisor)
        // node_exporter exposes the PPS interval's exponent as it is, under a name in seconds.
        recorder.observe(ppsShift, Double(state.shift))
        recorder.observe(ppsStability, Double(state.stability) / Self.ppm16Fraction)
        recorder.observe(ppsJitterCount, Double(state.jitterCount))
        recorder.observe(ppsCalibrationCount, Double(state.calibrationCount))
        recorder.observe(ppsErrorCount, Double(state.errorCount))
        recorder.observe(ppsStabilityExceededCount, Double(state.stabilityExceededCount))
        recorder.observe(taiOffset, Double(state.taiOffset))
    }
}
