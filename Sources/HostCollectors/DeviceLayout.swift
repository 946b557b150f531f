import MetricsCore

/// What a collector remembers between collections about the named rows of a kernel file (disks, interfaces): one
/// entry per reported name, holding the label sets built for it, and the order in which to observe them.
///
/// The rows of such files rarely change. When the names of a read equal the last read's, position for position,
/// nothing is rebuilt: the entries and the exposure order are reused and no label set or string is created. When
/// they differ, entries of names still present are kept, new names are filtered and get new entries, and entries
/// of vanished names are dropped, so memory follows the machine's current devices.
struct DeviceLayout<Entry> {
    private var names: [String] = []
    private var entries: [String: Entry] = [:]
    /// The entry of each row of the last read, by position; nil for rows the filter leaves out.
    private(set) var slots: [Entry?] = []
    /// The positions of reported rows, in the order the exposition lists their label sets.
    private(set) var order: [Int] = []

    /// Brings the layout up to date with a read of `count` rows named `name(position)`. `makeEntry` creates the
    /// entry of a new name, or returns nil to leave it out; `labels` gives the label set that orders an entry.
    mutating func update(
        count: Int, name: (Int) -> String, makeEntry: (String) -> Entry?, labels: (Entry) -> LabelSet
    ) {
        if count == names.count && (0..<count).allSatisfy({ name($0) == names[$0] }) { return }
        var newNames: [String] = []
        var newEntries: [String: Entry] = [:]
        var newSlots: [Entry?] = []
        newNames.reserveCapacity(count)
        newSlots.reserveCapacity(count)
        for position in 0..<count {
            let rowName = name(position)
            newNames.append(rowName)
            let entry = newEntries[rowName] ?? entries[rowName] ?? makeEntry(rowName)
            if let entry { newEntries[rowName] = entry }
            newSlots.append(entry)
        }
        names = newNames
        entries = newEntries
        slots = newSlots
        let reported = newSlots.indices.filter { newSlots[$0] != nil }
        let labelSets = reported.map { position in newSlots[position].map(labels) ?? .empty }
        order = exposureOrder(of: labelSets).map { reported[$0] }
    }
}

extension DeviceLayout where Entry == LabelSet {
    /// ``update(count:name:makeEntry:labels:)`` for rows whose series carry one label, `label` set to the row's
    /// name (`device="eth0"`, `cpu="3"`); a name `admits` refuses is left out.
    mutating func update(
        count: Int, label: String, name: (Int) -> String, admits: (String) -> Bool = { _ in true }
    ) {
        update(
            count: count, name: name,
            makeEntry: { name in admits(name) ? LabelSet(sortedUniqueLabels: [Label(label, name)]) : nil },
            labels: { $0 })
    }

    /// The position and label set of every reported row, in exposure order.
    var reportedRows: some Sequence<(position: Int, labels: LabelSet)> {
        let slots = slots
        return order.lazy.compactMap { position in slots[position].map { (position, $0) } }
    }
}
