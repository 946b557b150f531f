import Foundation
import OTLP
import Testing

@Suite struct ExponentialHistogramConversionTests {
    typealias Side = ExponentialHistogramConversion.Side

    @Test func scaleZeroBoundsArePowersOfTwo() {
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 0, zeroCount: 0, positive: Side(offset: 0, counts: [1, 2, 3]))
        #expect(buckets == ExplicitBuckets(scale: 0, upperBounds: [2, 4, 8], cumulativeCounts: [1, 3, 6, 6]))
    }

    @Test func negativeZeroAndPositiveBucketsAscend() {
        // Negative bucket 1 is [-4, -2), bucket 0 is [-2, -1); zero; positive bucket 1 is (2, 4].
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 0, zeroCount: 3, positive: Side(offset: 1, counts: [4]), negative: Side(offset: 0, counts: [2, 1]))
        #expect(buckets.upperBounds == [-2, -1, 0, 4])
        #expect(buckets.cumulativeCounts == [1, 3, 6, 10, 10])
    }

    @Test func positiveScaleBoundsAreRootsOfTwo() {
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 1, zeroCount: 0, positive: Side(offset: -2, counts: [1, 1, 1]))
        #expect(buckets.upperBounds == [(0.5 as Double).squareRoot(), 1, (2.0 as Double).squareRoot()])
        #expect(buckets.cumulativeCounts == [1, 2, 3, 3])
    }

    /// Against Foundation's pow, for every index in a range at scales -4 through 8 (within 1 ulp).
    @Test(arguments: Array(Int32(-4)...8))
    func powerAgreesWithPow(_ scale: Int32) {
        for exponent in -300...300 {
            let expected = pow(2, Double(exponent) / pow(2, Double(scale)))
            let actual = ExponentialHistogramConversion.power(scale: scale, exponent)
            guard expected.isFinite && expected > 0 else { continue }
            #expect(abs(actual - expected) <= expected.ulp, "scale \(scale) exponent \(exponent)")
        }
        #expect(ExponentialHistogramConversion.power(scale: 2, 4) == 2)
        #expect(ExponentialHistogramConversion.power(scale: 3, -8) == 0.5)
    }

    @Test func downscalesUntilAtMost160BucketsRemain() {
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 3, zeroCount: 0, positive: Side(offset: 0, counts: Array(repeating: 1, count: 400)))
        #expect(buckets.scale == 1)
        #expect(buckets.upperBounds.count == 100)
        #expect(buckets.cumulativeCounts.last == 400)
        #expect(buckets.cumulativeCounts.first == 4)
        #expect(buckets.upperBounds.first == (2.0 as Double).squareRoot())
    }

    @Test func downscalingMergesPairsWithOddAndNegativeOffsets() {
        // Indexes -1, 0, 1 at scale 1 become -1, 0, 0 at scale 0.
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 1, zeroCount: 0, positive: Side(offset: -1, counts: [1, 2, 3]), maximumBucketCount: 2)
        #expect(buckets == ExplicitBuckets(scale: 0, upperBounds: [1, 2], cumulativeCounts: [1, 6, 6]))
    }

    @Test func emptyEndBucketsAreTrimmed() {
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 0, zeroCount: 0, positive: Side(offset: 0, counts: [0, 0, 5, 0]))
        #expect(buckets == ExplicitBuckets(scale: 0, upperBounds: [8], cumulativeCounts: [5, 5]))
    }

    @Test func overflowingBoundsCountInInfinityOnly() {
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 0, zeroCount: 1, positive: Side(offset: 5000, counts: [7]))
        #expect(buckets == ExplicitBuckets(scale: 0, upperBounds: [0], cumulativeCounts: [1, 8]))
    }

    @Test func bucketsInsideTheZeroThresholdCountAtIt() {
        let buckets = ExponentialHistogramConversion.explicitBuckets(
            scale: 0, zeroCount: 1, zeroThreshold: 3, positive: Side(offset: 0, counts: [2, 4]))
        // Bucket 0's bound 2 is inside the threshold 3: counted at 3; bucket 1's bound is 4.
        #expect(buckets == ExplicitBuckets(scale: 0, upperBounds: [3, 4], cumulativeCounts: [3, 7, 7]))
    }

    @Test func decodedPointConverts() throws {
        struct Collect: OTLPMetricsVisitor {
            var buckets: [ExplicitBuckets] = []
            mutating func visitExponentialHistogramDataPoint(
                _ point: OTLPExponentialHistogramDataPoint, _ context: OTLPMetricContext
            ) {
                buckets.append(
                    ExponentialHistogramConversion.explicitBuckets(
                        scale: point.scale, zeroCount: point.zeroCount, zeroThreshold: point.zeroThreshold,
                        positive: Side(point.positive), negative: Side(point.negative)))
            }
        }
        var visitor = Collect()
        try OTLPMetricsDecoder().decode(Vectors.bytes("every_kind.pb"), into: &visitor)
        // scale -3 (base 256), positive offset -2 [1, 0, 3, 300], negative offset 5 [2], zero 2.
        #expect(visitor.buckets.first?.upperBounds == [-pow(256, 5), 1e-9, 1.0 / 256, 1, 256, 65536])
        #expect(visitor.buckets.first?.cumulativeCounts == [2, 4, 5, 5, 8, 308, 308])
    }
}
