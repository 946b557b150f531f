import Glibc
import SystemIO

/// The socket of a connection, present until the connection closes. These borrow it in place (a `FileDescriptor`
/// cannot be copied out of the optional), and treat a closed socket as one that reads end-of-file, writes nothing
/// and needs no events.
extension Optional where Wrapped == FileDescriptor {
    func register(on loop: EventLoop, interest: EpollEvents, handler: some EventHandler) throws(SystemError) {
        switch self {
        case .some(let socket): try loop.register(socket, interest: interest, handler: handler)
        case .none: break
        }
    }

    func setInterest(_ interest: EpollEvents, on loop: EventLoop) {
        switch self {
        case .some(let socket): try? loop.setInterest(interest, for: socket)
        case .none: break
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        switch self {
        case .some(let socket): try socket.read(into: buffer)
        case .none: .processed(0)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        switch self {
        case .some(let socket): try socket.write(bytes)
        case .none: .processed(0)
        }
    }

    func write(_ vectors: UnsafeBufferPointer<iovec>) throws(SystemError) -> IOResult<Int> {
        switch self {
        case .some(let socket): try socket.write(vectors)
        case .none: .processed(0)
        }
    }
}
