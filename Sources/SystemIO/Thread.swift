import CLinux
import Glibc

/// A thread started by ``spawnThread(name:_:)``. Join it with ``join()``; a handle dropped without joining
/// detaches the thread, so its resources are freed when it ends.
public struct ThreadHandle: ~Copyable, Sendable {
    private let thread: pthread_t

    fileprivate init(thread: pthread_t) {
        self.thread = thread
    }

    deinit {
        pthread_detach(thread)
    }

    /// Waits for the thread to finish. The corresponding C function is `pthread_join`.
    public consuming func join() {
        let thread = self.thread
        discard self
        pthread_join(thread, nil)
    }
}

/// The body and name of a thread, passed through `pthread_create`'s context pointer.
private final class ThreadStart {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// Starts a thread that runs `body`, named `name` (the kernel keeps 15 bytes; `ps -L` and `top -H` show it), with
/// a stack of `stackSize` bytes (the system default when nil). Blocked signals stay blocked in the new thread, which
/// inherits the caller's signal mask. The corresponding C functions are `pthread_create` and `pthread_setname_np`.
public func spawnThread(
    name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void
) throws(SystemError) -> ThreadHandle {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
    let context = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, &attributes,
        { context in
            guard let context else {
                return nil
            }
            let start = Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue()
            _ = tally_set_current_thread_name(start.name)
            start.body()
            return nil
        }, context)
    if result != 0 {
        Unmanaged<ThreadStart>.fromOpaque(context).release()
        throw SystemError(call: "pthread_create(\(name))", errno: result)
    }
    return ThreadHandle(thread: thread)
}
