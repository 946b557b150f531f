import CLinux
import Glibc

/// A set of signal numbers.
public struct SignalSet: Hashable, Sendable, ExpressibleByArrayLiteral {
    /// The signal numbers, ascending and without duplicates.
    public let signals: [Int32]

    /// A set of signal numbers, each between 1 and `SIGRTMAX`.
    public init(_ signals: some Sequence<Int32>) {
        self.signals = Array(Set(signals)).sorted()
        precondition(self.signals.allSatisfy { $0 >= 1 && $0 <= 64 }, "not a signal number: \(self.signals)")
    }

    public init(arrayLiteral signals: Int32...) {
        self.init(signals)
    }

    /// The signals tally's loop handles: SIGTERM and SIGINT stop it, SIGHUP reloads (systemd's `ReloadSignal=`).
    public static let server: SignalSet = [SIGTERM, SIGINT, SIGHUP]

    /// The set as the C library takes it.
    var cSet: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals {
            sigaddset(&set, signal)
        }
        return set
    }

    /// Blocks these signals in the calling thread and every thread it starts afterwards, so that they stay pending
    /// for a ``SignalFD`` instead of running their default action. The corresponding C function is
    /// `pthread_sigmask(SIG_BLOCK)`.
    public func block() throws(SystemError) {
        var set = cSet
        try checkErrorNumber("pthread_sigmask(SIG_BLOCK)", pthread_sigmask(SIG_BLOCK, &set, nil))
    }
}

/// Prepares the process for handling `signals` on an event loop: blocks them (see ``SignalSet/block()``) and
/// ignores SIGPIPE, so that writing to a socket the peer closed fails with `EPIPE` instead of killing the process.
///
/// Call this first thing in `main`, before any other thread starts, including threads a library starts. The signal
/// mask belongs to each thread and a new thread inherits its creator's: a thread started earlier would keep these
/// signals unblocked, and the kernel could deliver a SIGTERM sent to the process to that thread, running the default
/// action (termination) instead of waking the ``SignalFD``.
public func prepareProcessSignals(blocking signals: SignalSet = .server) throws(SystemError) {
    try signals.block()
    var ignore = sigaction()
    ignore.__sigaction_handler.sa_handler = SIG_IGN
    sigemptyset(&ignore.sa_mask)
    _ = try syscall("sigaction(SIGPIPE, SIG_IGN)") { sigaction(SIGPIPE, &ignore, nil) }
}

/// A signalfd(2) registered on an event loop: delivers blocked signals to a handler on the loop thread, as
/// ordinary events, instead of running code in a signal handler.
public final class SignalFD: EventHandler {
    private var descriptor: FileDescriptor?
    private weak var loop: EventLoop?
    private let onSignal: (Int32) -> Void

    /// Creates a signalfd for `signals` and registers it on `loop`; `onSignal` receives each signal number. The
    /// signals must be blocked (``prepareProcessSignals(blocking:)``), or they keep their default action and never
    /// reach the descriptor. The loop keeps this object alive until ``close()``.
    @discardableResult
    public init(_ signals: SignalSet, loop: EventLoop, onSignal: @escaping (Int32) -> Void) throws(SystemError) {
        var set = signals.cSet
        let raw = try syscall("signalfd") { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
        let descriptor = FileDescriptor(owning: raw)
        self.loop = loop
        self.onSignal = onSignal
        try loop.register(descriptor, interest: .input, handler: self)
        self.descriptor = consume descriptor
    }

    /// Reads every pending `signalfd_siginfo` and hands each signal number to the handler.
    public func handle(events: EpollEvents) {
        while let raw = descriptor?.rawValue {
            var info = signalfd_siginfo()
            let result = withUnsafeMutableBytes(of: &info) { buffer in
                try? nonBlockingSyscall("read(signalfd)") { Glibc.read(raw, buffer.baseAddress, buffer.count) }
            }
            guard case .processed(MemoryLayout<signalfd_siginfo>.size) = result else {
                return
            }
            onSignal(Int32(bitPattern: info.ssi_signo))
        }
    }

    /// Deregisters and closes the signalfd; the signals stay blocked and pending.
    public func close() {
        guard let descriptor = descriptor.take() else {
            return
        }
        try? loop?.deregister(descriptor)
    }
}
