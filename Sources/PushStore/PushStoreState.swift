import MetricsCore
import PushProtocol

extension PushStore {
    /// Everything the store keeps, guarded by its mutex.
    struct State: Sendable {
        var limits: PushLimits
        var families: [PushFamily] = []
        /// The family of each (sanitized pushed name, kind).
        var familyIndexByKey: [FamilyKey: Int] = [:]
        var cache = RawSeriesCache()
        var seriesCount = 0
        var version: UInt64 = 0
        var linesReceived = [UInt64](repeating: 0, count: PushTransport.allCases.count)
        var rejectedLines = [UInt64](repeating: 0, count: PushRejectionReason.allCases.count)
        var overflowLines: UInt64 = 0
        /// The families fed by OTLP, and the family of each Prometheus name (before view rules).
        var otlpFamilies: [OTLPFamily] = []
        var otlpFamilyIndexByName: [String: Int] = [:]
        var otlpOptions = OTLPIngestOptions()

        init(limits: PushLimits) {
            self.limits = limits
        }

        struct FamilyKey: Hashable, Sendable {
            var name: String
            var kind: PushedKind
        }

        var counters: Counters {
            Counters(
                linesReceived: linesReceived, rejectedLines: rejectedLines, overflowLines: overflowLines,
                series: seriesCount)
        }

        /// Applies one line; the hot path for series seen before.
        @inline(__always)
        mutating func apply(
            _ bytes: UnsafeRawBufferPointer, transport: PushTransport?, now: UInt32, views: ViewSet,
            registry: MetricRegistry
        ) -> PushRejection? {
            if let transport { linesReceived[transport.index] += 1 }
            let line: PushLine
            do {
                line = try PushLine.parse(bytes)
            } catch {
                return rejected(error)
            }
            let kind = PushedKind(line.type)
            if kind.isHistogram, line.value < 0 {
                return rejected(PushRejection(.invalidValue, "a histogram observation must not be negative"))
            }
            let name = line.nameBytes(in: bytes)
            let tags = line.tagBytes(in: bytes)
            let hash = RawSeriesCache.hash(name: name, type: kind.cacheKeyByte, tags: tags)
            if let location = cache.find(hash: hash, name: name, type: kind.cacheKeyByte, tags: tags) {
                record(line, at: location, now: now)
                return nil
            }
            let location: RawSeriesCache.Location
            do {
                location = try locate(name: name, tags: tags, kind: kind, views: views, registry: registry)
            } catch {
                return rejected(error)
            }
            cache.insert(hash: hash, name: name, type: kind.cacheKeyByte, tags: tags, location: location)
            record(line, at: location, now: now)
            return nil
        }

        @inline(__always)
        private mutating func record(_ line: PushLine, at location: RawSeriesCache.Location, now: UInt32) {
            version &+= 1
            guard location.slot >= 0 else { return }
            if families[Int(location.family)].apply(line, toSlot: Int(location.slot), now: now) {
                overflowLines &+= 1
            }
        }

        private mutating func rejected(_ rejection: PushRejection) -> PushRejection {
            rejectedLines[rejection.reason.index] += 1
            return rejection
        }

        /// The slow path: checks and sanitizes the name and tags, finds or creates the family and the series.
        /// A slot of -1 means the family is dropped by a rule.
        private mutating func locate(
            name: UnsafeRawBufferPointer, tags: UnsafeRawBufferPointer, kind: PushedKind, views: ViewSet,
            registry: MetricRegistry
        ) throws(PushRejection) -> RawSeriesCache.Location {
            let key = try PushSeriesKey(name: name, tags: tags)
            let familyIndex = try family(named: key.name, kind: kind, views: views, registry: registry)
            guard !families[familyIndex].isDropped else { return .init(family: Int32(familyIndex), slot: -1) }
            for label in key.labels {
                if label.name == "le" && kind.isHistogram || label.name == "otel_metric_overflow" {
                    throw PushRejection(.invalidTagKey, "the label name '\(label.name)' is reserved")
                }
            }
            var labels = LabelSet(key.labels.map { Label($0.name, $0.value) })
            if let rule = families[familyIndex].rule { labels = rule.filteredLabels(labels) }
            let isNew = families[familyIndex].existingSlot(for: labels) == nil
            if isNew, seriesCount >= limits.maxSeries {
                throw PushRejection(
                    .seriesLimit, "tally already stores \(limits.maxSeries) pushed series (push.max_series)")
            }
            let before = families[familyIndex].seriesCount
            let slot = families[familyIndex].slot(for: labels)
            seriesCount += families[familyIndex].seriesCount - before
            return .init(family: Int32(familyIndex), slot: Int32(slot))
        }

        /// Finds the family for a sanitized name and kind, creating and registering it when new.
        private mutating func family(
            named name: String, kind: PushedKind, views: ViewSet, registry: MetricRegistry
        )
            throws(PushRejection) -> Int
        {
            if let index = familyIndexByKey[FamilyKey(name: name, kind: kind)] { return index }
            if let other = families.first(where: { $0.pushedName == name && $0.kind != kind }) {
                throw PushRejection(
                    .typeConflict,
                    "'\(name)' is \(other.kind.lineTypeDescription), this line is \(kind.lineTypeDescription)")
            }
            let family: PushFamily
            do {
                family = try Self.makeFamily(name: name, kind: kind, views: views, limits: limits)
            } catch {
                throw PushRejection(.malformedLine, "cannot expose '\(name)': \(error)")
            }
            if let existing = families.firstIndex(where: { $0.descriptor.name == family.descriptor.name }) {
                guard families[existing].kind == kind else {
                    throw PushRejection(
                        .typeConflict,
                        "'\(family.descriptor.name)' is \(families[existing].kind.lineTypeDescription), this line is \(kind.lineTypeDescription)"
                    )
                }
                familyIndexByKey[FamilyKey(name: name, kind: kind)] = existing
                return existing
            }
            if !family.isDropped {
                do {
                    try registry.reserve(family.descriptor)
                } catch {
                    throw PushRejection(.typeConflict, String(describing: error))
                }
            }
            families.append(family)
            familyIndexByKey[FamilyKey(name: name, kind: kind)] = families.count - 1
            return families.count - 1
        }

        /// Builds a family for a sanitized pushed name: the exposed name, help, buckets, time to live and
        /// cardinality limit from the first view rule that selects it.
        static func makeFamily(
            name: String, kind: PushedKind, views: ViewSet, limits: PushLimits, upperBounds: [Double]? = nil
        ) throws(MetricsError) -> PushFamily {
            let help = "\(name), pushed to tally as \(kind.lineTypeDescription)."
            var descriptor = try MetricDescriptor(
                instrumentName: name, unit: kind.unit, type: kind.metricType, help: help)
            var names = [name, descriptor.name]
            if kind == .counter { names.append(descriptor.name + "_total") }
            let rule = views.rule(forNames: names, type: kind.metricType)
            if let rule, rule.rename != nil || rule.help != nil {
                descriptor = try MetricDescriptor(
                    instrumentName: rule.rename ?? name, unit: kind.unit, type: kind.metricType,
                    help: rule.help ?? help)
            }
            let timeToLive = (rule?.timeToLiveSeconds ?? limits.defaultTimeToLiveSeconds).map {
                UInt32(clamping: Int(max(1, $0.rounded(.up))))
            }
            return PushFamily(
                descriptor: descriptor, kind: kind, pushedName: name,
                upperBounds: upperBounds ?? rule?.buckets ?? kind.defaultBuckets, timeToLive: timeToLive, rule: rule,
                cardinalityLimit: rule?.cardinalityLimit ?? views.defaultCardinalityLimit)
        }

        mutating func delete(name: String, labels: [PushLabel]?, registry: MetricRegistry) -> Int {
            let labelSet = labels.map { LabelSet($0.map { Label($0.name, $0.value) }) }
            var removed = 0
            for index in families.indices where families[index].isNamed(name) {
                if let labelSet {
                    removed += families[index].remove(labelSet) ? 1 : 0
                } else {
                    removed += families[index].removeSeries(updatedBefore: .max)
                }
            }
            for index in otlpFamilies.indices where otlpFamilies[index].isNamed(name) {
                if let labelSet {
                    removed += otlpFamilies[index].series.remove(labelSet) ? 1 : 0
                } else {
                    removed += otlpFamilies[index].removeSeries(updatedBefore: .max)
                }
            }
            if removed > 0 { seriesRemoved(removed, registry: registry) }
            return removed
        }

        /// Bookkeeping after series were removed: families left empty are forgotten and their names released,
        /// and the raw cache, whose slots may now be reused, is cleared.
        mutating func seriesRemoved(_ count: Int, registry: MetricRegistry) {
            seriesCount -= count
            version &+= 1
            let emptied = families.filter { $0.seriesCount == 0 }
            if !emptied.isEmpty {
                for family in emptied where !family.isDropped { registry.release(family.descriptor) }
                families.removeAll { $0.seriesCount == 0 }
                familyIndexByKey = [:]
                for (index, family) in families.enumerated() {
                    familyIndexByKey[FamilyKey(name: family.pushedName, kind: family.kind)] = index
                }
            }
            let emptiedOTLP = otlpFamilies.filter { $0.seriesCount == 0 }
            if !emptiedOTLP.isEmpty {
                for family in emptiedOTLP where !family.isDropped { registry.release(family.descriptor) }
                // Dropped families hold no series; keep them so that their points stay discarded.
                otlpFamilies.removeAll { $0.seriesCount == 0 && !$0.isDropped }
                otlpFamilyIndexByName = [:]
                for (index, family) in otlpFamilies.enumerated() {
                    otlpFamilyIndexByName[family.indexName] = index
                }
            }
            cache.removeAll()
        }
    }
}
