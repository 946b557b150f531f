import MetricsCore
import Synchronization

/// The instruments of a collector whose metric names come from the kernel files it reads (`netstat`, `sockstat`):
/// one per key the files name, created once. Those of the keys present at registration are created then, in name
/// order; a key that appears later gets its instrument when a collection first sees it, and is exposed from the next
/// collection on, since a meter's collection in progress ignores instruments newer than itself.
///
/// A key whose spec is nil (left out by a filter) is remembered as such, so that a filter is matched once per key.
final class LearnedInstruments: Sendable {
    private weak let meter: Meter?
    /// Per key seen: its instrument, or nil when it is left out or could not be created.
    private let instruments = Mutex<[String: ObservableInstrument?]>([:])

    init(meter: Meter) {
        self.meter = meter
    }

    /// Creates the instruments of the keys known at registration. A key already known is skipped; a failure to
    /// create an instrument (a name another collector uses) fails the registration.
    func register(_ keys: [(key: String, spec: InstrumentSpec?)]) throws(HostCollectorError) {
        guard let meter else { return }
        try instruments.withLock { (instruments) throws(HostCollectorError) in
            var wanted: [(key: String, spec: InstrumentSpec)] = []
            var wantedKeys = Set<String>()
            for (key, spec) in keys where instruments[key] == nil {
                guard let spec else {
                    instruments[key] = .some(nil)
                    continue
                }
                if wantedKeys.insert(key).inserted { wanted.append((key, spec)) }
            }
            let created = try InstrumentFactory(meter: meter).make(wanted.map(\.spec))
            for ((key, _), instrument) in zip(wanted, created) { instruments[key] = instrument }
        }
    }

    /// The instrument of `key`, created from `spec()` the first time the key is seen; nil when `spec()` was nil or
    /// the instrument could not be created.
    func instrument(for key: String, spec: () -> InstrumentSpec?) -> ObservableInstrument? {
        instruments.withLock { instruments in
            if let known = instruments[key] { return known }
            let instrument = spec().flatMap { spec in meter.flatMap { try? InstrumentFactory(meter: $0).make(spec) } }
            instruments[key] = .some(instrument)
            return instrument
        }
    }
}
