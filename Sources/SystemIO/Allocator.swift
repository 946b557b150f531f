import CLinux

/// Fixes glibc's mmap threshold at `bytes`: larger allocations are mapped, and unmapped when freed, instead of being
/// carved from the heap (glibc otherwise raises the threshold after the first large block is freed). The
/// corresponding C call is `mallopt(M_MMAP_THRESHOLD, bytes)`.
public func setMallocMmapThreshold(_ bytes: Int32) {
    _ = tally_set_mmap_threshold(bytes)
}

/// Lets glibc keep at most `count` malloc arenas instead of one per thread that allocates. The corresponding C call
/// is `mallopt(M_ARENA_MAX, count)`.
public func setMallocArenaLimit(_ count: Int32) {
    _ = tally_set_malloc_arena_limit(count)
}
