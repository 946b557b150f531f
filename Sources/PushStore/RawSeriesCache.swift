import Glibc

/// Maps the raw bytes a series was pushed with (name, type and tags exactly as sent) to where the store keeps
/// it, so that a line for a series seen before costs one hash and one byte comparison: no UTF-8 check, no
/// sanitizing, no label parsing, no allocation.
///
/// Open addressing with linear probing over a power-of-two table; keys live back to back in one byte arena.
/// The cache only ever answers for keys whose full processing succeeded, so a hit is as good as a check. It is
/// cleared whenever series are removed (their slots may be reused) and when it outgrows its bounds (the same
/// series pushed with its tags in many orders).
struct RawSeriesCache: Sendable {
    struct Location: Equatable, Sendable {
        var family: Int32
        var slot: Int32
    }

    private struct Entry: Sendable {
        var hash: UInt64
        var keyStart: UInt32
        var keyLength: UInt32
        var location: Location
    }

    private var entries: [Entry?]
    private var arena: [UInt8] = []
    private(set) var count = 0
    private let maximumArenaBytes: Int

    init(initialCapacity: Int = 1024, maximumArenaBytes: Int = 64 << 20) {
        var capacity = 16
        while capacity < initialCapacity * 2 { capacity <<= 1 }
        entries = Array(repeating: nil, count: capacity)
        self.maximumArenaBytes = maximumArenaBytes
    }

    /// The hash of a key made of the name, the type byte and the tags.
    @inline(__always)
    static func hash(name: UnsafeRawBufferPointer, type: UInt8, tags: UnsafeRawBufferPointer) -> UInt64 {
        var hash = hashBytes(name, seed: 0xcbf2_9ce4_8422_2325)
        hash = (hash ^ UInt64(type)) &* 0x100_0000_01b3
        return hashBytes(tags, seed: hash ^ 0xff)
    }

    @inline(__always)
    private static func hashBytes(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var hash = seed
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            hash = (hash ^ word) &* 0x100_0000_01b3
            hash ^= hash >> 29
            index += 8
        }
        while index < count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01b3
            index += 1
        }
        return hash ^ (hash >> 32)
    }

    /// Where the series with this raw key is kept, if cached.
    @inline(__always)
    func find(hash: UInt64, name: UnsafeRawBufferPointer, type: UInt8, tags: UnsafeRawBufferPointer) -> Location? {
        let mask = entries.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while let entry = entries[index] {
            if entry.hash == hash, Int(entry.keyLength) == name.count + 1 + tags.count,
                keyMatches(entry, name: name, type: type, tags: tags)
            {
                return entry.location
            }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Remembers where the series with this raw key is kept.
    mutating func insert(
        hash: UInt64, name: UnsafeRawBufferPointer, type: UInt8, tags: UnsafeRawBufferPointer, location: Location
    ) {
        if arena.count + name.count + 1 + tags.count > maximumArenaBytes { removeAll() }
        if (count + 1) * 2 > entries.count { grow() }
        let start = UInt32(arena.count)
        arena.append(contentsOf: name)
        arena.append(type)
        arena.append(contentsOf: tags)
        let entry = Entry(
            hash: hash, keyStart: start, keyLength: UInt32(name.count + 1 + tags.count), location: location)
        place(entry)
        count += 1
    }

    /// Forgets every key.
    mutating func removeAll() {
        entries = Array(repeating: nil, count: 1024)
        arena.removeAll(keepingCapacity: false)
        count = 0
    }

    private func keyMatches(
        _ entry: Entry, name: UnsafeRawBufferPointer, type: UInt8, tags: UnsafeRawBufferPointer
    )
        -> Bool
    {
        arena.withUnsafeBytes { arena in
            let key = UnsafeRawBufferPointer(
                rebasing: arena[Int(entry.keyStart)..<Int(entry.keyStart + entry.keyLength)])
            return key[name.count] == type && bytesEqual(key.prefix(name.count), name)
                && bytesEqual(key.suffix(tags.count), tags)
        }
    }

    private mutating func grow() {
        let old = entries
        entries = Array(repeating: nil, count: old.count * 2)
        for case let entry? in old { place(entry) }
    }

    private mutating func place(_ entry: Entry) {
        let mask = entries.count - 1
        var index = Int(truncatingIfNeeded: entry.hash) & mask
        while entries[index] != nil { index = (index + 1) & mask }
        entries[index] = entry
    }
}

/// Whether two byte ranges hold the same bytes.
@inline(__always)
func bytesEqual(_ lhs: UnsafeRawBufferPointer.SubSequence, _ rhs: UnsafeRawBufferPointer) -> Bool {
    bytesEqual(UnsafeRawBufferPointer(rebasing: lhs), rhs)
}

/// Whether two byte buffers hold the same bytes.
@inline(__always)
func bytesEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    guard let left = lhs.baseAddress, let right = rhs.baseAddress, lhs.count > 0 else { return true }
    return memcmp(left, right, lhs.count) == 0
}
