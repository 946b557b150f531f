import Glibc

/// A reading of the wall clock with the local time zone in force at that moment.
public struct RealTime: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch.
    public var nanosecondsSinceEpoch: Int64
    /// The zone's abbreviation, e.g. `UTC` or `CEST`.
    public var timeZone: String
    /// The zone's offset east of UTC, in seconds.
    public var timeZoneOffset: Int

    public init(nanosecondsSinceEpoch: Int64, timeZone: String, timeZoneOffset: Int) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
        self.timeZone = timeZone
        self.timeZoneOffset = timeZoneOffset
    }
}

/// Where the time collector reads the wall clock: `clock_gettime(CLOCK_REALTIME)` and the local zone
/// (``SystemRealTimeClock``), or in tests a fixed instant.
public protocol RealTimeClock: Sendable {
    func now() -> RealTime
}

/// `clock_gettime(CLOCK_REALTIME)`, and `localtime_r(3)` for the zone (from `TZ`, else /etc/localtime, as Go's
/// `time.Local` in node_exporter).
public struct SystemRealTimeClock: RealTimeClock {
    public init() {}

    public func now() -> RealTime {
        var instant = timespec()
        clock_gettime(CLOCK_REALTIME, &instant)
        var seconds = instant.tv_sec
        var local = tm()
        let zone: String
        let offset: Int
        if localtime_r(&seconds, &local) != nil, let name = local.tm_zone {
            zone = String(cString: name)
            offset = local.tm_gmtoff
        } else {
            zone = "UTC"
            offset = 0
        }
        return RealTime(
            nanosecondsSinceEpoch: Int64(instant.tv_sec) * 1_000_000_000 + Int64(instant.tv_nsec), timeZone: zone,
            timeZoneOffset: offset)
    }
}
