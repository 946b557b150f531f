/// The 64-bit FNV-1a hash of `bytes`: the checksum of the state file and of each journal record.
func fnv1a(_ bytes: some Collection<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}

/// A 64-bit number as 16 lower-case hexadecimal digits, as checksums are written.
func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
