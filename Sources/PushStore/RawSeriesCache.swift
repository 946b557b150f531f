import Glibc

/// Maps the raw bytes a series was pushed with (name, type and tags exactly as sent) to where the store keeps
/// it, so that a line for a series seen before costs one hash and one byte comparison: no UTF-8 check, no
/// sanitizing, no label parsing, no allocation.
///
/// Open addressing with linear probing over a power-of-two table of 16-byte entries; keys live back to back in one
/// byte arena, each as `[name length: 2 bytes][name][type byte][tags]`, so the table can be rehashed from the arena
/// when it grows. The cache only ever answers for keys whose full processing succeeded, so a hit is as good as a
/// check. It is cleared whenever series are removed (their slots may be reused) and when it outgrows its bounds
/// (the same series pushed with its tags in many orders).
struct RawSeriesCache: Sendable {
    struct Location: Equatable, Sendable {
        var family: Int32
        var slot: Int32
    }

    /// Four to a cache line: the table is probed at random for every line.
    private struct Entry: Sendable {
        /// The high half of the key's hash (the low bits chose the position); 0 marks an empty entry.
        var hashTag: UInt32
        /// Where the key starts in the arena (at its 2-byte name length).
        var keyStart: UInt32
        /// The name, type and tag bytes, without the name length.
        var keyLength: UInt16
        var family: UInt16
        var slot: Int32

        static let empty = Entry(hashTag: 0, keyStart: 0, keyLength: 0, family: 0, slot: 0)
    }

    private var entries: [Entry]
    private var arena: [UInt8] = []
    private(set) var count = 0
    private let maximumArenaBytes: Int

    init(initialCapacity: Int = 1024, maximumArenaBytes: Int = 64 << 20) {
        var capacity = 16
        while capacity < initialCapacity * 2 { capacity <<= 1 }
        entries = Array(repeating: .empty, count: capacity)
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

    /// The tag stored for a hash: never 0, which marks empty entries.
    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: hash >> 32) | 1
    }

    /// Where the series with this raw key is kept, if cached.
    @inline(__always)
    func find(hash: UInt64, name: UnsafeRawBufferPointer, type: UInt8, tags: UnsafeRawBufferPointer) -> Location? {
        let mask = entries.count - 1
        let tag = Self.tag(hash)
        let keyLength = name.count + 1 + tags.count
        return entries.withUnsafeBufferPointer { table in
            var position = Int(truncatingIfNeeded: hash) & mask
            while table[position].hashTag != 0 {
                let entry = table[position]
                if entry.hashTag == tag, Int(entry.keyLength) == keyLength,
                    keyMatches(entry, name: name, type: type, tags: tags)
                {
                    return Location(family: Int32(entry.family), slot: entry.slot)
                }
                position = (position + 1) & mask
            }
            return nil
        }
    }

    /// Remembers where the series with this raw key is kept.
    mutating func insert(
        hash: UInt64, name: UnsafeRawBufferPointer, type: UInt8, tags: UnsafeRawBufferPointer, location: Location
    ) {
        let keyLength = name.count + 1 + tags.count
        // Keys that do not fit an entry, and families past its range, are simply not cached (the slow path works).
        guard keyLength <= Int(UInt16.max), location.family >= 0, location.family <= Int32(UInt16.max) else { return }
        if arena.count + 2 + keyLength > maximumArenaBytes { removeAll() }
        if (count + 1) * 2 > entries.count { grow() }
        let start = UInt32(arena.count)
        arena.append(UInt8(truncatingIfNeeded: name.count))
        arena.append(UInt8(truncatingIfNeeded: name.count >> 8))
        arena.append(contentsOf: name)
        arena.append(type)
        arena.append(contentsOf: tags)
        let entry = Entry(
            hashTag: Self.tag(hash), keyStart: start, keyLength: UInt16(keyLength), family: UInt16(location.family),
            slot: location.slot)
        place(entry, hash: hash)
        count += 1
    }

    /// Forgets every key.
    mutating func removeAll() {
        entries = Array(repeating: .empty, count: 1024)
        arena.removeAll(keepingCapacity: false)
        count = 0
    }

    private func keyMatches(
        _ entry: Entry, name: UnsafeRawBufferPointer, type: UInt8, tags: UnsafeRawBufferPointer
    ) -> Bool {
        arena.withUnsafeBytes { arena in
            let start = Int(entry.keyStart) + 2
            let key = UnsafeRawBufferPointer(rebasing: arena[start..<start + Int(entry.keyLength)])
            return key[name.count] == type && bytesEqual(key.prefix(name.count), name)
                && bytesEqual(key.suffix(tags.count), tags)
        }
    }

    /// Doubles the table, rehashing every key from the arena.
    private mutating func grow() {
        let old = entries
        entries = Array(repeating: .empty, count: old.count * 2)
        arena.withUnsafeBytes { arena in
            for entry in old where entry.hashTag != 0 {
                let start = Int(entry.keyStart)
                let nameLength = Int(arena[start]) | Int(arena[start + 1]) << 8
                let name = UnsafeRawBufferPointer(rebasing: arena[(start + 2)..<(start + 2 + nameLength)])
                let typeOffset = start + 2 + nameLength
                let tags = UnsafeRawBufferPointer(
                    rebasing: arena[(typeOffset + 1)..<(start + 2 + Int(entry.keyLength))])
                place(entry, hash: Self.hash(name: name, type: arena[typeOffset], tags: tags))
            }
        }
    }

    private mutating func place(_ entry: Entry, hash: UInt64) {
        let mask = entries.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while entries[position].hashTag != 0 { position = (position + 1) & mask }
        entries[position] = entry
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
