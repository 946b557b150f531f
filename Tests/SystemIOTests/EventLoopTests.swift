import Glibc
import MonotonicTime
import Synchronization
import SystemIO
import Testing

@Suite struct EventLoopTests {
    @Test func socketPairReportsWritableThenReadable() throws {
        let loop = try EventLoop()
        let (rawA, rawB) = try makeSocketPair()
        let a = FileDescriptor(owning: rawA)
        let b = FileDescriptor(owning: rawB)
        var seen: [EpollEvents] = []
        var received: String?
        let handler = ClosureHandler { events in
            seen.append(events)
            if events.contains(.input) {
                received = try? receive(from: a)
                loop.stop()
            }
        }
        try loop.register(a, interest: [.input, .output], handler: handler)
        #expect(loop.interest(of: a) == [.input, .output])
        #expect(try runLoop(loop, timeout: .milliseconds(50)) == false)
        #expect(seen.first == .output)

        try loop.setInterest(.input, for: a)
        seen.removeAll()
        #expect(try runLoop(loop, timeout: .milliseconds(50)) == false)
        #expect(seen.isEmpty)

        try send("ping", to: b)
        #expect(try runLoop(loop))
        #expect(seen == [.input])
        #expect(received == "ping")

        try loop.deregister(a)
        #expect(loop.interest(of: a) == nil)
        #expect(throws: SystemError(call: "epoll_ctl(EPOLL_CTL_DEL)", errno: ENOENT)) { try loop.deregister(a) }
    }

    @Test func peerHangupIsReported() throws {
        let loop = try EventLoop()
        let (rawA, rawB) = try makeSocketPair()
        let a = FileDescriptor(owning: rawA)
        var seen: EpollEvents = []
        try loop.register(
            a, interest: [.input, .readHangup],
            handler: ClosureHandler { events in
                seen = events
                loop.stop()
            })
        try FileDescriptor(owning: rawB).close()
        #expect(try runLoop(loop))
        #expect(seen.contains(.readHangup))
        #expect(try receive(from: a) == nil)
    }

    /// A handler that closes another registered descriptor and registers a new one, which gets the same number,
    /// must not receive the event read for the old one in the same batch.
    @Test func eventsOfADeregisteredDescriptorAreNotDeliveredToItsSuccessor() throws {
        final class Pair {
            var first: FileDescriptor?
            var second: FileDescriptor?
        }
        let loop = try EventLoop()
        let (rawA, rawA2) = try makeSocketPair()
        let (rawB, rawB2) = try makeSocketPair()
        let peers = Pair()
        peers.first = FileDescriptor(owning: rawA2)
        peers.second = FileDescriptor(owning: rawB2)
        let owned = Pair()
        owned.first = FileDescriptor(owning: rawA)
        owned.second = FileDescriptor(owning: rawB)
        var replacement: FileDescriptor?
        var pipeWriter: FileDescriptor?
        var replacementNumber: Int32 = -1
        var wronglyDelivered = false
        var handled = 0
        let replacementHandler = ClosureHandler { _ in wronglyDelivered = true }

        /// Whichever handler runs first removes the other descriptor and reuses its number.
        func replaceOther(isFirst: Bool) {
            handled += 1
            defer { loop.stop() }
            guard replacement == nil else {
                return
            }
            let victim = isFirst ? owned.second.take() : owned.first.take()
            guard let victim else {
                return
            }
            try? loop.deregister(victim)
            let number = victim.rawValue
            try? victim.close()
            // The read end of an empty pipe never becomes ready; it takes the lowest free number.
            var ends: [Int32] = [-1, -1]
            pipe(&ends)
            let fresh = FileDescriptor(owning: ends[0])
            pipeWriter = FileDescriptor(owning: ends[1])
            replacementNumber = fresh.rawValue
            #expect(fresh.rawValue == number)
            try? loop.register(fresh, interest: .input, handler: replacementHandler)
            replacement = consume fresh
        }
        try loop.register(owned.first!, interest: .input, handler: ClosureHandler { _ in replaceOther(isFirst: true) })
        try loop.register(
            owned.second!, interest: .input, handler: ClosureHandler { _ in replaceOther(isFirst: false) })
        try send("x", to: peers.first!)
        try send("y", to: peers.second!)
        #expect(try runLoop(loop))
        #expect(handled == 1)
        #expect(replacementNumber >= 0)
        #expect(!wronglyDelivered)
        #expect(pipeWriter?.rawValue != nil)
    }

    @Test func executeFromAnotherThreadWakesTheLoop() throws {
        let loop = try EventLoop()
        let ran = Atomic<Int>(0)
        let worker = try spawnThread(name: "execute-test") {
            usleep(20_000)
            for _ in 0..<100 {
                loop.execute { ran.add(1, ordering: .relaxed) }
            }
            loop.execute { loop.stop() }
        }
        #expect(try runLoop(loop))
        worker.join()
        #expect(ran.load(ordering: .relaxed) == 100)
    }

    @Test func tasksRunInSubmissionOrderOnTheLoopThread() throws {
        let loop = try EventLoop()
        let order = Mutex<[Int]>([])
        let offLoop = Atomic<Int>(0)
        let worker = try spawnThread(name: "order-test") {
            for index in 0..<500 {
                loop.execute {
                    if !loop.inEventLoop {
                        offLoop.add(1, ordering: .relaxed)
                    }
                    order.withLock { $0.append(index) }
                }
            }
            loop.execute { loop.stop() }
        }
        #expect(try runLoop(loop))
        worker.join()
        #expect(order.withLock { $0 } == Array(0..<500))
        #expect(offLoop.load(ordering: .relaxed) == 0)
    }

    @Test func stopFromAnotherThreadEndsRun() throws {
        let loop = try EventLoop()
        let worker = try spawnThread(name: "stop-test") {
            usleep(20_000)
            loop.stop()
        }
        let start = MonotonicClock.system.now()
        #expect(try runLoop(loop))
        worker.join()
        #expect(MonotonicClock.system.now() - start < .seconds(5))
    }

    @Test func stopBeforeRunReturnsAtOnceAndTheLoopRunsAgain() throws {
        let loop = try EventLoop()
        loop.stop()
        try loop.run()
        var fired = false
        loop.schedule(after: .milliseconds(1)) {
            fired = true
            loop.stop()
        }
        #expect(try runLoop(loop))
        #expect(fired)
    }

    @Test func loopBoundValueTravelsThroughAnotherThread() throws {
        final class Connection {
            var result = ""
        }
        let loop = try EventLoop()
        let connection = Connection()
        let bound = LoopBound(connection, loop: loop)
        let worker = try spawnThread(name: "loopbound") {
            loop.execute {
                bound.value.result = "scraped"
                loop.stop()
            }
        }
        #expect(try runLoop(loop))
        worker.join()
        #expect(connection.result == "scraped")
        #expect(bound.loop === loop)
    }

    @Test func descriptorsAreCloseOnExec() throws {
        let listener = try StreamListener(tcp: ListenAddress(host: .name("127.0.0.1"), port: 0))
        let client = try connectTCP(host: "127.0.0.1", port: listener.port ?? 0)
        let loop = try EventLoop()
        var flags: (descriptor: Int32, status: Int32)?
        try listener.start(on: loop) { connection in
            flags = (fcntl(connection.rawValue, F_GETFD), fcntl(connection.rawValue, F_GETFL))
            loop.stop()
        }
        #expect(try runLoop(loop))
        let accepted = try #require(flags)
        #expect(accepted.descriptor & FD_CLOEXEC != 0)
        #expect(accepted.status & O_NONBLOCK != 0)
        listener.close()
        _ = client

        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let socket = try DatagramSocket(unixPath: directory + "/cloexec.sock")
        let blocking = try FileDescriptor.connect(unixPath: directory + "/cloexec.sock", kind: .datagram)
        #expect(fcntl(blocking.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(blocking.rawValue, F_GETFL) & O_NONBLOCK == 0)
        let nonBlocking = try FileDescriptor.connect(
            unixPath: directory + "/cloexec.sock", kind: .datagram, nonBlocking: true)
        #expect(fcntl(nonBlocking.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(nonBlocking.rawValue, F_GETFL) & O_NONBLOCK != 0)
        socket.close()
    }

    @Test func systemErrorDescriptionNamesCallAndErrno() {
        let error = SystemError(call: "bind(127.0.0.1:9479)", errno: EADDRINUSE)
        #expect(error.description == "bind(127.0.0.1:9479): Address already in use (errno 98)")
    }

    @Test func syscallWrappersClassifyResults() throws {
        let (rawA, rawB) = try makeSocketPair()
        let a = FileDescriptor(owning: rawA)
        let b = FileDescriptor(owning: rawB)
        var byte: UInt8 = 0
        #expect(try nonBlockingSyscall("read") { Glibc.read(a.rawValue, &byte, 1) } == .wouldBlock)
        try send("!", to: b)
        #expect(try nonBlockingSyscall("read") { Glibc.read(a.rawValue, &byte, 1) } == .processed(1))
        #expect(throws: SystemError(call: "read(-1)", errno: EBADF)) {
            try syscall("read(-1)") { Glibc.read(-1, &byte, 1) }
        }
        #expect(try syscall("getpid") { getpid() } == getpid())
    }

    @Test func vectoredWriteAndRead() throws {
        let (rawA, rawB) = try makeSocketPair()
        let a = FileDescriptor(owning: rawA)
        let b = FileDescriptor(owning: rawB)
        var head = Array("HTTP/1.1 200 OK\r\n".utf8)
        var body = Array("body".utf8)
        let written = try head.withUnsafeMutableBytes { headBytes in
            try body.withUnsafeMutableBytes { bodyBytes in
                let vectors = [
                    iovec(iov_base: headBytes.baseAddress, iov_len: headBytes.count),
                    iovec(iov_base: bodyBytes.baseAddress, iov_len: bodyBytes.count),
                ]
                return try vectors.withUnsafeBufferPointer { try a.write($0) }
            }
        }
        #expect(written == .processed(head.count + body.count))
        var first = [UInt8](repeating: 0, count: 4)
        var second = [UInt8](repeating: 0, count: 64)
        let read = try first.withUnsafeMutableBytes { firstBytes in
            try second.withUnsafeMutableBytes { secondBytes in
                let vectors = [
                    iovec(iov_base: firstBytes.baseAddress, iov_len: firstBytes.count),
                    iovec(iov_base: secondBytes.baseAddress, iov_len: secondBytes.count),
                ]
                return try vectors.withUnsafeBufferPointer { try b.read(into: $0) }
            }
        }
        #expect(read == .processed(head.count + body.count))
        #expect(String(decoding: first, as: UTF8.self) == "HTTP")
        #expect(String(decoding: second.prefix(17), as: UTF8.self) == "/1.1 200 OK\r\nbody")
    }
}
