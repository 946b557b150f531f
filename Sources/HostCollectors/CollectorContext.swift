import ProcFS
import Synchronization

/// What the factories of one registration share: the options, and reads that two collectors would otherwise make
/// twice.
struct CollectorContext: Sendable {
    let options: HostCollectorOptions
    let kernelStat = KernelStatHandoff()
}

/// Hands the /proc/stat the `cpu` collector read to the `stat` collector of the same collection, so that the file
/// is read once per collection rather than twice. The collectors run one after the other in table order; a read is
/// taken at most once, and only while it is fresh, so `stat` reads the file itself when `cpu` is disabled, failed,
/// or ran in another collection long ago.
final class KernelStatHandoff: Sendable {
    /// How old a read may be when it is taken, in nanoseconds.
    static let maximumAge: UInt64 = 1_000_000_000

    private let offered = Mutex<(stat: KernelStat, readAt: UInt64)?>(nil)

    func offer(_ stat: KernelStat) {
        let now = monotonicNanoseconds()
        offered.withLock { $0 = (stat, now) }
    }

    /// The offered read, if there is a fresh one; it is not offered again.
    func take() -> KernelStat? {
        let now = monotonicNanoseconds()
        return offered.withLock { offered in
            defer { offered = nil }
            guard let (stat, readAt) = offered, now &- readAt <= Self.maximumAge else { return nil }
            return stat
        }
    }
}
