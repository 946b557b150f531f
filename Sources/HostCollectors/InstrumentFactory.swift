import MetricsCore

/// One instrument a collector creates.
struct InstrumentSpec {
    enum Kind { case counter, gauge, untyped }

    let kind: Kind
    /// The sample name, e.g. `node_cpu_seconds_total`.
    let name: String
    /// The UCUM unit (`s`, `By`) the name already ends with, for OpenMetrics' `# UNIT`; empty for none.
    let unit: String
    let help: String

    static func counter(_ name: String, unit: String = "", help: String) -> InstrumentSpec {
        InstrumentSpec(kind: .counter, name: name, unit: unit, help: help)
    }

    static func gauge(_ name: String, unit: String = "", help: String) -> InstrumentSpec {
        InstrumentSpec(kind: .gauge, name: name, unit: unit, help: help)
    }

    static func untyped(_ name: String, help: String) -> InstrumentSpec {
        InstrumentSpec(kind: .untyped, name: name, unit: "", help: help)
    }

    /// The family name the exposition sorts by: a counter's samples end in `_total`, its family does not.
    var familyName: String {
        kind == .counter && name.hasSuffix("_total") ? String(name.dropLast("_total".count)) : name
    }
}

/// Creates one collector's instruments on its meter, turning a registration error into a ``HostCollectorError``
/// that names the collector.
struct InstrumentFactory {
    let meter: Meter

    /// Creates the instruments of `specs` and returns them in the order given.
    ///
    /// They are created in the order of their family names: a meter hands over its families in creation order, and
    /// a collection sorts all families by name, which costs little when the input is already mostly in order.
    func make(_ specs: [InstrumentSpec]) throws(HostCollectorError) -> [ObservableInstrument] {
        let creationOrder = specs.indices.sorted {
            specs[$0].familyName.utf8.lexicographicallyPrecedes(specs[$1].familyName.utf8)
        }
        var created: [Int: ObservableInstrument] = [:]
        for index in creationOrder {
            created[index] = try make(specs[index])
        }
        return specs.indices.compactMap { created[$0] }
    }

    /// Creates one instrument.
    func make(_ spec: InstrumentSpec) throws(HostCollectorError) -> ObservableInstrument {
        do {
            switch spec.kind {
            case .counter: return try meter.makeObservableCounter(name: spec.name, unit: spec.unit, help: spec.help)
            case .gauge: return try meter.makeObservableGauge(name: spec.name, unit: spec.unit, help: spec.help)
            case .untyped: return try meter.makeObservableUntyped(name: spec.name, unit: spec.unit, help: spec.help)
            }
        } catch {
            throw .registrationFailed(collector: meter.producerName, reason: error.description)
        }
    }
}

/// The indices of `labelSets` in the order the exposition lists series. Observing in this order lets the meter
/// skip sorting every collection.
func exposureOrder(of labelSets: [LabelSet]) -> [Int] {
    labelSets.indices.sorted { labelSets[$0] < labelSets[$1] }
}
