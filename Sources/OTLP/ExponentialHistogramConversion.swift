import Glibc

/// Cumulative `le` buckets, as a Prometheus classic histogram has them.
public struct ExplicitBuckets: Hashable, Sendable {
    /// The scale the exponential buckets were read at, after downscaling.
    public var scale: Int32
    /// The finite upper bounds, strictly ascending.
    public var upperBounds: [Double]
    /// The number of observations at or below each bound, then (last) the total, for `+Inf`: one more element
    /// than ``upperBounds``.
    public var cumulativeCounts: [UInt64]

    public init(scale: Int32, upperBounds: [Double], cumulativeCounts: [UInt64]) {
        self.scale = scale
        self.upperBounds = upperBounds
        self.cumulativeCounts = cumulativeCounts
    }
}

/// Turns exponential histogram buckets into explicit cumulative ones.
///
/// Positive bucket `i` at scale `s` covers (base^i, base^(i+1)] with base = 2^(2^-s), so its bound is
/// base^(i+1); negative bucket `i` covers [-base^(i+1), -base^i), bound -base^i; the zero bucket's bound is the
/// zero threshold (0 when none). When there are more than `maximumBucketCount` positive and negative buckets
/// (counted from the first to the last non-empty one on each side), the scale is lowered one step at a time,
/// each step merging buckets `2k` and `2k + 1` into bucket `k`. A bucket whose bound is not above the previous
/// bound (inside the zero threshold) is counted at the previous bound; one whose bound overflows to infinity is
/// counted in `+Inf` only.
public enum ExponentialHistogramConversion {
    /// The most exponential buckets kept, as Prometheus' OTLP receiver keeps for native histograms.
    public static let defaultMaximumBucketCount = 160

    /// One side's buckets: the index of the first and the counts.
    public struct Side: Hashable, Sendable {
        public var offset: Int
        public var counts: [UInt64]

        public init(offset: Int, counts: [UInt64]) {
            self.offset = offset
            self.counts = counts
        }

        /// The buckets of a decoded point.
        public init(_ buckets: OTLPExponentialBuckets) {
            self.init(offset: Int(buckets.offset), counts: Array(buckets.bucketCounts))
        }

        /// Without the empty buckets at both ends.
        var trimmed: Side {
            guard let first = counts.firstIndex(where: { $0 != 0 }), let last = counts.lastIndex(where: { $0 != 0 })
            else { return Side(offset: 0, counts: []) }
            return Side(offset: offset + first, counts: Array(counts[first...last]))
        }

        /// At the scale one lower: buckets `2k` and `2k + 1` merged into `k`.
        var downscaled: Side {
            guard !counts.isEmpty else { return self }
            let newOffset = offset >> 1
            var merged = [UInt64](repeating: 0, count: ((offset + counts.count - 1) >> 1) - newOffset + 1)
            for (position, count) in counts.enumerated() {
                merged[((offset + position) >> 1) - newOffset] &+= count
            }
            return Side(offset: newOffset, counts: merged)
        }
    }

    /// The explicit buckets of an exponential histogram point.
    public static func explicitBuckets(
        scale: Int32, zeroCount: UInt64, zeroThreshold: Double = 0, positive: Side,
        negative: Side = Side(offset: 0, counts: []), maximumBucketCount: Int = defaultMaximumBucketCount
    ) -> ExplicitBuckets {
        var positive = positive.trimmed
        var negative = negative.trimmed
        var scale = scale
        while positive.counts.count + negative.counts.count > max(maximumBucketCount, 1) && scale > -10 {
            positive = positive.downscaled
            negative = negative.downscaled
            scale -= 1
        }
        var result = ExplicitBuckets(scale: scale, upperBounds: [], cumulativeCounts: [])
        var total: UInt64 = 0
        func append(_ bound: Double, _ count: UInt64) {
            total &+= count
            guard bound.isFinite else { return }  // counted in +Inf only
            if let last = result.upperBounds.last, bound <= last {
                result.cumulativeCounts[result.cumulativeCounts.count - 1] = total
            } else {
                result.upperBounds.append(bound)
                result.cumulativeCounts.append(total)
            }
        }
        for position in negative.counts.indices.reversed() {
            append(-power(scale: scale, negative.offset + position), negative.counts[position])
        }
        if zeroCount > 0 || !negative.counts.isEmpty {
            append(zeroThreshold.isFinite ? max(zeroThreshold, 0) : 0, zeroCount)
        }
        for (position, count) in positive.counts.enumerated() {
            append(power(scale: scale, positive.offset + position + 1), count)
        }
        result.cumulativeCounts.append(total)
        return result
    }

    /// base^exponent with base = 2^(2^-scale): exact for scales at or below 0, within an ulp or so above.
    public static func power(scale: Int32, _ exponent: Int) -> Double {
        if scale <= 0 {
            let shift = Int(-scale)
            guard exponent.magnitude < (1 << 20) >> shift else { return exponent < 0 ? 0 : .infinity }
            return ldexp(1, exponent << shift)
        }
        let denominator = 1 << Int(min(scale, 52))
        let whole = exponent >> Int(min(scale, 52))  // floor
        let fraction = exponent - whole * denominator
        guard whole.magnitude < 1 << 20 else { return exponent < 0 ? 0 : .infinity }
        return ldexp(exp2(Double(fraction) / Double(denominator)), whole)
    }

    private static func ldexp(_ value: Double, _ exponent: Int) -> Double {
        Glibc.ldexp(value, Int32(clamping: exponent))
    }
}
