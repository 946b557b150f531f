import Testing

@testable import MetricsCore

@Suite struct SeriesTableTests {
    private func labels(_ value: String) -> LabelSet { LabelSet(["k": value]) }

    @Test func sameLabelsFindTheSameSlot() {
        var table = SeriesTable<Double>(initialValue: 0)
        let slot = table.slot(for: labels("a"))
        table[slot] += 2
        table[table.slot(for: LabelSet(["k": "a"]))] += 3
        #expect(table.count == 1)
        #expect(table[slot] == 5)
    }

    @Test func cardinalityLimitSendsNewLabelSetsToOneOverflowSeries() throws {
        var table = SeriesTable<Double>(cardinalityLimit: 3, initialValue: 0)
        for value in ["a", "b", "c", "d", "e", "d"] {
            table[table.slot(for: labels(value))] += 1
        }
        #expect(table.count == 4)
        let overflow = try #require(table.overflowSlot)
        #expect(table.labels(ofSlot: overflow) == LabelSet(["otel_metric_overflow": "true"]))
        #expect(table[overflow] == 3)
        // Label sets stored before the limit keep their own series.
        #expect(table.slot(for: labels("a")) != overflow)
        // Every measurement is counted once.
        let snapshot = table.snapshot(try MetricDescriptor(name: "m", type: .counter, help: ""))
        #expect(snapshot.values.reduce(0, +) == 6)
    }

    @Test func noOverflowWhileWithinTheLimit() {
        var table = SeriesTable<Double>(cardinalityLimit: 3, initialValue: 0)
        for value in ["a", "b", "c"] { _ = table.slot(for: labels(value)) }
        #expect(table.overflowSlot == nil)
    }

    @Test func snapshotsAreSortedAcrossInsertionsAndRemovals() throws {
        var table = SeriesTable<Double>(initialValue: 0)
        let descriptor = try MetricDescriptor(name: "m", type: .gauge, help: "")
        for value in ["m", "c", "x"] { table[table.slot(for: labels(value))] = 1 }
        let first = table.snapshot(descriptor)
        #expect(first.labelSets.map { $0["k"]! } == ["c", "m", "x"])
        for value in ["a", "n", "z"] { table[table.slot(for: labels(value))] = 2 }
        let second = table.snapshot(descriptor)
        #expect(second.labelSets.map { $0["k"]! } == ["a", "c", "m", "n", "x", "z"])
        let removedOnce = table.remove(labels("m"))
        let removedTwice = table.remove(labels("m"))
        #expect(removedOnce && !removedTwice)
        // The freed slot is reused by a new series, which must still sort into place and start from zero.
        table[table.slot(for: labels("b"))] += 0
        let snapshot = table.snapshot(descriptor)
        #expect(snapshot.labelSets.map { $0["k"]! } == ["a", "b", "c", "n", "x", "z"])
        #expect(snapshot.values == [2, 0, 1, 2, 1, 2])
        let removed = table.removeAll { _, value in value == 2 }
        #expect(removed == 3)
        let last = table.snapshot(descriptor)
        #expect(last.labelSets.map { $0["k"]! } == ["b", "c", "x"])
    }

    @Test func agreesWithADictionaryThroughRandomInsertionsAndRemovals() throws {
        var table = SeriesTable<Double>(cardinalityLimit: 10_000, initialValue: 0)
        var reference: [String: Double] = [:]
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for step in 0..<20_000 {
            let key = "k\(next() % 600)"
            if next() % 3 == 0 {
                let removed = table.remove(labels(key))
                #expect(removed == (reference.removeValue(forKey: key) != nil), "step \(step)")
            } else {
                table[table.slot(for: labels(key))] += 1
                reference[key, default: 0] += 1
            }
        }
        #expect(table.count == reference.count)
        for (key, value) in reference {
            let slot = try #require(table.existingSlot(for: labels(key)))
            #expect(table[slot] == value)
        }
        let snapshot = table.snapshot(try MetricDescriptor(name: "m", type: .counter, help: ""))
        #expect(
            snapshot.labelSets.map { $0["k"]! }
                == reference.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test func histogramBucketsAreUpperInclusiveAndCumulativeInSnapshots() throws {
        let bounds = [1.0, 5, 10]
        var table = SeriesTable(cardinalityLimit: 10, initialValue: HistogramAccumulator(bucketCount: bounds.count))
        let slot = table.slot(for: .empty)
        for value in [0.5, 1, 1.5, 5, 7, 10, 11, 1000] {
            table[slot].record(value, upperBounds: bounds)
        }
        table[slot].record(2, upperBounds: bounds, weight: 4)
        let snapshot = table.snapshot(try MetricDescriptor(name: "h", type: .histogram, help: ""), upperBounds: bounds)
        let histogram = try #require(snapshot.histogram)
        #expect(Array(histogram.cumulativeCounts(ofSeries: 0)) == [2, 8, 10])
        #expect(histogram.counts == [12])
        #expect(snapshot.values == [0.5 + 1 + 1.5 + 5 + 7 + 10 + 11 + 1000 + 8])
    }

    @Test(arguments: [[1.0, 1.0], [2.0, 1.0], [1.0, .infinity], [.nan]])
    func refusesBadBucketBoundaries(bounds: [Double]) {
        #expect(throws: MetricsError.self) { try HistogramBuckets.validate(bounds) }
    }
}
