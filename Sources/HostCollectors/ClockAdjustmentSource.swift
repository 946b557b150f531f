import CLinux
import Glibc

/// The kernel clock's discipline state as `adjtimex(2)` reports it: `struct timex` and the clock state it returns.
/// Units are the kernel's: ``offset`` and ``jitter`` in nanoseconds when ``status`` has `STA_NANO`, else in
/// microseconds; ``maximumError``, ``estimatedError`` and ``tick`` in microseconds; ``frequency``,
/// ``ppsFrequency`` and ``stability`` in parts per million with a 16-bit fraction.
public struct ClockAdjustmentState: Sendable, Equatable {
    /// The return value of `adjtimex`: `TIME_OK` (0) … `TIME_ERROR` (5, the clock is not synchronized).
    public var clockState: Int32
    public var offset: Int64
    public var frequency: Int64
    public var maximumError: Int64
    public var estimatedError: Int64
    /// The `STA_*` bits.
    public var status: Int32
    public var constant: Int64
    public var tick: Int64
    public var ppsFrequency: Int64
    public var jitter: Int64
    public var shift: Int32
    public var stability: Int64
    public var jitterCount: Int64
    public var calibrationCount: Int64
    public var errorCount: Int64
    public var stabilityExceededCount: Int64
    /// The offset of International Atomic Time from UTC, in seconds.
    public var taiOffset: Int32

    /// `TIME_ERROR`: the clock is not synchronized.
    public static let timeError: Int32 = 5
    /// `STA_NANO`: offsets are in nanoseconds rather than microseconds.
    public static let nanosecondResolution: Int32 = 0x2000

    public init(
        clockState: Int32 = 0, offset: Int64 = 0, frequency: Int64 = 0, maximumError: Int64 = 0,
        estimatedError: Int64 = 0, status: Int32 = 0, constant: Int64 = 0, tick: Int64 = 0, ppsFrequency: Int64 = 0,
        jitter: Int64 = 0, shift: Int32 = 0, stability: Int64 = 0, jitterCount: Int64 = 0, calibrationCount: Int64 = 0,
        errorCount: Int64 = 0, stabilityExceededCount: Int64 = 0, taiOffset: Int32 = 0
    ) {
        self.clockState = clockState
        self.offset = offset
        self.frequency = frequency
        self.maximumError = maximumError
        self.estimatedError = estimatedError
        self.status = status
        self.constant = constant
        self.tick = tick
        self.ppsFrequency = ppsFrequency
        self.jitter = jitter
        self.shift = shift
        self.stability = stability
        self.jitterCount = jitterCount
        self.calibrationCount = calibrationCount
        self.errorCount = errorCount
        self.stabilityExceededCount = stabilityExceededCount
        self.taiOffset = taiOffset
    }
}

/// Where the timex collector gets the clock's discipline state from: `adjtimex(2)` reading only
/// (``SystemClockAdjustment``), or in tests a fixed state.
public protocol ClockAdjustmentSource: Sendable {
    func clockAdjustmentState() throws(SystemCallError) -> ClockAdjustmentState
}

/// `adjtimex(2)` with `modes` 0, which changes nothing.
public struct SystemClockAdjustment: ClockAdjustmentSource {
    public init() {}

    public func clockAdjustmentState() throws(SystemCallError) -> ClockAdjustmentState {
        var raw = tally_timex()
        let state = tally_read_timex(&raw)
        guard state >= 0 else { throw SystemCallError(call: "adjtimex", errno: errno) }
        return ClockAdjustmentState(
            clockState: state, offset: raw.offset, frequency: raw.frequency, maximumError: raw.maximum_error,
            estimatedError: raw.estimated_error, status: raw.status, constant: raw.constant, tick: raw.tick,
            ppsFrequency: raw.pps_frequency, jitter: raw.jitter, shift: raw.shift, stability: raw.stability,
            jitterCount: raw.jitter_count, calibrationCount: raw.calibration_count, errorCount: raw.error_count,
            stabilityExceededCount: raw.stability_exceeded_count, taiOffset: raw.tai)
    }
}
