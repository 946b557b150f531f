/// The StatsD type of a pushed line, from its type field.
public enum PushMetricType: String, CaseIterable, Sendable {
    /// `c`: adds `value / rate` to a counter.
    case counter = "c"
    /// `g`: sets a gauge, or changes it when the value starts with `+` or `-`.
    case gauge = "g"
    /// `ms`: one observation in milliseconds, recorded in seconds.
    case timer = "ms"
    /// `h`: one observation, recorded as it is.
    case histogram = "h"
    /// `d`: a DogStatsD distribution; one observation, recorded as it is.
    case distribution = "d"

    /// Whether a line of this type is an observation that goes into a histogram (`ms`, `h`, `d`).
    public var isObservation: Bool {
        switch self {
        case .counter, .gauge: false
        case .timer, .histogram, .distribution: true
        }
    }
}
