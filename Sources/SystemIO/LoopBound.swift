/// A value that belongs to an event loop's thread, wrapped so that a `@Sendable` closure can carry it to another
/// thread and back to the loop (a connection handed to a scrape worker, whose result returns through
/// ``EventLoop/execute(_:)``).
///
/// `@unchecked Sendable` is sound because the value can be created and read only on the loop's thread (both check
/// it with a precondition, in every build), so other threads merely hold it without touching it.
public struct LoopBound<Value>: @unchecked Sendable {
    private let storage: Value
    /// The loop whose thread owns the value.
    public let loop: EventLoop

    /// Wraps `value`; must be called on `loop`'s thread.
    public init(_ value: Value, loop: EventLoop) {
        precondition(loop.inEventLoop, "LoopBound created off the event loop thread")
        self.storage = value
        self.loop = loop
    }

    /// The value; must be read on the loop's thread.
    public var value: Value {
        precondition(loop.inEventLoop, "LoopBound value read off the event loop thread")
        return storage
    }
}
