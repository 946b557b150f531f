#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// The offset of the first `byte` in `self[range]`, or nil.
    ///
    /// Push lines are short, and the distances searched in them shorter still (a name, a tag list), so
    /// the first 64 bytes are searched inline, eight at a time (a call to `memchr` costs more than such a
    /// search); the rest, in long lines only, by the C library's vectorized `memchr`.
    @inline(__always)
    func firstOffset(of byte: UInt8, in range: Range<Int>) -> Int? {
        guard let base = baseAddress else { return nil }
        // Ranges are within the buffer, so none of this arithmetic can overflow.
        var index = range.lowerBound
        let end = range.upperBound
        let inlineEnd = end &- index > 64 ? index &+ 64 : end
        let pattern = 0x0101_0101_0101_0101 &* UInt64(byte)
        while inlineEnd &- index >= 8 {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ pattern
            // The lowest byte of `word` that is zero is the first match; this sets its top bit (and maybe
            // bits above it, never below).
            let zeroBytes = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
            if zeroBytes != 0 { return index &+ zeroBytes.trailingZeroBitCount &>> 3 }
            index &+= 8
        }
        while index < inlineEnd {
            if base.load(fromByteOffset: index, as: UInt8.self) == byte { return index }
            index &+= 1
        }
        guard index < end, let found = memchr(base + index, Int32(byte), end &- index) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// The offset of the first `byte` in `self[range]`, or nil, by the C library's vectorized `memchr`
    /// alone: for spans usually longer than a few words, such as whole lines.
    @inline(__always)
    func firstOffsetByMemchr(of byte: UInt8, in range: Range<Int>) -> Int? {
        guard let base = baseAddress, !range.isEmpty,
            let found = memchr(base + range.lowerBound, Int32(byte), range.count)
        else { return nil }
        return UnsafeRawPointer(found) - base
    }
}
