import HTTP1
import MonotonicTime
import Testing

/// The fake clock: `at(2.5)` is 2.5 s after the connection was accepted.
private let accepted = MonotonicInstant(nanoseconds: 1_000_000_000_000)

private func at(_ seconds: Double) -> MonotonicInstant {
    accepted + .milliseconds(Int64(seconds * 1000))
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func request(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(extra)\r\n"
}

/// The path of a dispatched request, or nil for any other action.
private func dispatchedPath(_ action: HTTPConnectionStateMachine.Action) -> String? {
    guard case .dispatch(let request) = action else { return nil }
    return request.head.path
}

@Suite struct HTTPConnectionStateMachineTests {
    let configuration = HTTPConnectionStateMachine.Configuration()

    @Test func defaultsMatchTheContract() {
        #expect(configuration.maxHeadBytes == 8192)
        #expect(configuration.maxBodyBytes == 1024)
        #expect(configuration.headerTimeout == .seconds(10))
        #expect(configuration.idleTimeout == .seconds(60))
        #expect(configuration.writeTimeout == .seconds(60))
    }

    @Test func servesKeepAliveRequestsOneAfterAnother() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        #expect(!machine.isIdle)
        #expect(machine.nextDeadline == at(10))

        #expect(dispatchedPath(machine.received(bytes(request("/metrics")), now: at(1))) == "/metrics")
        #expect(machine.nextDeadline == nil)
        #expect(!machine.isIdle)
        #expect(machine.responseQueued(keepAlive: true, now: at(2)) == .none)
        #expect(machine.nextDeadline == at(62))
        #expect(!machine.isIdle)
        #expect(machine.writeCompleted(now: at(3)) == .none)
        #expect(machine.isIdle)
        #expect(machine.nextDeadline == at(63))

        #expect(dispatchedPath(machine.received(bytes(request("/-/healthy")), now: at(30))) == "/-/healthy")
        #expect(machine.responseQueued(keepAlive: true, now: at(30)) == .none)
        #expect(machine.writeCompleted(now: at(30)) == .none)
        #expect(machine.nextDeadline == at(90))
        #expect(!machine.isClosed)
    }

    @Test func dispatchesPipelinedRequestsOneAtATimeInOrder() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        let pipeline = request("/metrics") + request("/") + request("/-/ready")
        #expect(dispatchedPath(machine.received(bytes(pipeline), now: at(1))) == "/metrics")
        #expect(machine.received(bytes(request("/-/healthy")), now: at(1)) == .none)
        #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(2))) == "/")
        #expect(machine.writeCompleted(now: at(2)) == .none)
        #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(3))) == "/-/ready")
        #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(4))) == "/-/healthy")
        #expect(machine.responseQueued(keepAlive: true, now: at(5)) == .none)
        #expect(machine.writeCompleted(now: at(6)) == .none)
        #expect(machine.isIdle)
    }

    @Test func closesAfterAResponseThatEndsTheConnection() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        let pipeline = request("/", "Connection: close\r\n") + request("/metrics")
        #expect(dispatchedPath(machine.received(bytes(pipeline), now: at(1))) == "/")
        #expect(machine.responseQueued(keepAlive: false, now: at(1)) == .none)
        #expect(machine.received(bytes(request("/more")), now: at(2)) == .none)
        #expect(machine.nextDeadline == at(61))
        #expect(machine.writeCompleted(now: at(2)) == .close)
        #expect(machine.isClosed)
        #expect(machine.nextDeadline == nil)
        #expect(!machine.wantsToRead)
        #expect(machine.received(bytes(request("/")), now: at(3)) == .none)
        #expect(machine.checkTimeouts(now: at(1000)) == .none)
    }

    @Test func answersATrickledHeadWith408WhenTheHeaderTimeoutEnds() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        let head = bytes(request("/metrics"))
        for second in 0..<10 {
            #expect(machine.received([head[second]], now: at(Double(second))) == .none)
            #expect(machine.checkTimeouts(now: at(Double(second) + 0.5)) == .none)
            #expect(machine.nextDeadline == at(10))
        }
        #expect(machine.checkTimeouts(now: at(9.999)) == .none)
        #expect(machine.checkTimeouts(now: at(10)) == .respondAndClose(.headerTimeout))
        #expect(machine.received(Array(head[10...]), now: at(10.5)) == .none)
        #expect(machine.wantsToRead)
        #expect(machine.writeCompleted(now: at(11)) == .close)
        #expect(machine.isClosed)
    }

    @Test func answersAConnectionThatSendsNothingWith408() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        #expect(machine.checkTimeouts(now: at(9)) == .none)
        #expect(machine.checkTimeouts(now: at(10)) == .respondAndClose(.headerTimeout))
        #expect(machine.nextDeadline == at(70))
        #expect(machine.checkTimeouts(now: at(70)) == .close)
        #expect(machine.isClosed)
    }

    @Test func startsTheHeaderTimeoutOfALaterRequestAtItsFirstByte() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        _ = machine.received(bytes(request("/")), now: at(1))
        _ = machine.responseQueued(keepAlive: true, now: at(1))
        _ = machine.writeCompleted(now: at(1))
        #expect(machine.nextDeadline == at(61))
        #expect(machine.received(bytes("GET /met"), now: at(50)) == .none)
        #expect(!machine.isIdle)
        #expect(machine.nextDeadline == at(60))
        #expect(machine.checkTimeouts(now: at(59)) == .none)
        #expect(dispatchedPath(machine.received(bytes("rics HTTP/1.1\r\nHost: a\r\n\r\n"), now: at(59))) == "/metrics")
    }

    @Test func startsTheHeaderTimeoutOfABufferedRequestWhenItsTurnComes() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        #expect(dispatchedPath(machine.received(bytes(request("/metrics") + "GET / HT"), now: at(1))) == "/metrics")
        #expect(machine.nextDeadline == nil)
        #expect(machine.responseQueued(keepAlive: true, now: at(20)) == .none)
        #expect(machine.writeCompleted(now: at(20)) == .none)
        #expect(machine.nextDeadline == at(30))
        #expect(machine.checkTimeouts(now: at(30)) == .respondAndClose(.headerTimeout))
    }

    @Test func closesAnIdleConnectionSilently() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        _ = machine.received(bytes(request("/")), now: at(1))
        _ = machine.responseQueued(keepAlive: true, now: at(2))
        _ = machine.writeCompleted(now: at(5))
        #expect(machine.isIdle)
        #expect(machine.nextDeadline == at(65))
        #expect(machine.checkTimeouts(now: at(64.999)) == .none)
        #expect(machine.checkTimeouts(now: at(65)) == .close)
        #expect(machine.isClosed)
        #expect(!machine.isIdle)
    }

    @Test func closesAConnectionWhoseResponsesAreNotRead() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        _ = machine.received(bytes(request("/metrics") + request("/")), now: at(1))
        #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(2))) == "/")
        #expect(machine.nextDeadline == at(62))
        #expect(machine.responseQueued(keepAlive: true, now: at(3)) == .none)
        #expect(machine.nextDeadline == at(62))
        #expect(!machine.isIdle)
        #expect(machine.checkTimeouts(now: at(61.5)) == .none)
        #expect(machine.checkTimeouts(now: at(62)) == .close)
        #expect(machine.isClosed)
    }

    @Test func usesTheConfiguredTimeouts() {
        let short = HTTPConnectionStateMachine.Configuration(
            headerTimeout: .milliseconds(500), idleTimeout: .seconds(2), writeTimeout: .seconds(1))
        var machine = HTTPConnectionStateMachine(configuration: short, now: accepted)
        #expect(machine.nextDeadline == at(0.5))
        _ = machine.received(bytes(request("/")), now: at(0.1))
        _ = machine.responseQueued(keepAlive: true, now: at(0.2))
        #expect(machine.nextDeadline == at(1.2))
        _ = machine.writeCompleted(now: at(0.3))
        #expect(machine.nextDeadline == at(2.3))
    }

    struct LimitCase: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [UInt8]
        var error: HTTPRequestError
        var testDescription: String { name }
    }

    static let limitCases: [LimitCase] = [
        LimitCase(
            name: "head over 8 KiB",
            input: bytes("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 8200) + "\r\n\r\n"),
            error: .headTooLarge(limit: 8192)),
        LimitCase(
            name: "8 KiB without the end of the head",
            input: bytes("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 8192 - 19)),
            error: .headTooLarge(limit: 8192)),
        LimitCase(
            name: "GET with a body", input: bytes(request("/", "Content-Length: 2\r\n") + "{}"), error: .bodyNotAllowed),
        LimitCase(
            name: "POST over the cap", input: bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n"),
            error: .bodyTooLarge(limit: 1024)),
        LimitCase(
            name: "chunked POST", input: bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
            error: .transferEncodingNotSupported),
        LimitCase(name: "malformed request line", input: bytes("GET /\r\n\r\n"), error: .malformedRequestLine),
        LimitCase(name: "malformed header", input: bytes("GET / HTTP/1.1\r\nHost\r\n\r\n"), error: .malformedHeader),
        LimitCase(name: "unsupported version", input: bytes("GET / HTTP/3.0\r\n\r\n"), error: .versionNotSupported),
    ]

    @Test(arguments: limitCases)
    func refusesWithTheRightStatusAndCloses(_ testCase: LimitCase) {
        var machine = HTTPConnectionStateMachine(now: accepted)
        #expect(machine.received(testCase.input, now: at(1)) == .respondAndClose(testCase.error))
        #expect(machine.received(bytes(request("/")), now: at(2)) == .none)
        #expect(machine.checkTimeouts(now: at(11)) == .none)
        #expect(machine.writeCompleted(now: at(2)) == .close)
        #expect(machine.isClosed)
    }

    @Test(arguments: limitCases)
    func refusesAPipelinedRequestOnlyAfterTheOneBeforeIsAnswered(_ testCase: LimitCase) {
        var machine = HTTPConnectionStateMachine(now: accepted)
        #expect(dispatchedPath(machine.received(bytes(request("/")) + testCase.input, now: at(1))) == "/")
        #expect(machine.responseQueued(keepAlive: true, now: at(2)) == .respondAndClose(testCase.error))
        #expect(machine.writeCompleted(now: at(3)) == .close)
    }

    @Test func readsAndDropsASmallBodySoTheServerCanAnswer405() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        let post = bytes("POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234")
        #expect(machine.received(post, now: at(1)) == .none)
        let action = machine.received(bytes("56789") + bytes(request("/")), now: at(2))
        guard case .dispatch(let request) = action else {
            Issue.record("expected a dispatch, got \(action)")
            return
        }
        #expect(request.head.method == .other("POST"))
        #expect(request.body == bytes("0123456789"))
        #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(3))) == "/")
    }

    @Test func acceptsAHeadOfExactlyTheLimit() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        let prefix = "GET /metrics HTTP/1.1\r\nHost: a\r\nX: "
        let head = prefix + String(repeating: "a", count: 8192 - prefix.utf8.count - 4) + "\r\n\r\n"
        #expect(head.utf8.count == 8192)
        #expect(dispatchedPath(machine.received(bytes(head), now: at(1))) == "/metrics")
    }

    @Test func finishesTheRequestInProgressWhenThePeerHalfCloses() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        #expect(dispatchedPath(machine.received(bytes(request("/metrics")), now: at(1))) == "/metrics")
        #expect(machine.peerClosedRead() == .none)
        #expect(!machine.wantsToRead)
        #expect(machine.responseQueued(keepAlive: true, now: at(2)) == .none)
        #expect(machine.writeCompleted(now: at(3)) == .close)
        #expect(machine.isClosed)
    }

    @Test func answersBufferedRequestsBeforeClosingOnHalfClose() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        let pipeline = request("/metrics") + request("/") + "GET /-/rea"
        #expect(dispatchedPath(machine.received(bytes(pipeline), now: at(1))) == "/metrics")
        #expect(machine.peerClosedRead() == .none)
        #expect(machine.received(bytes("dy HTTP/1.1\r\n"), now: at(1)) == .none)
        #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(2))) == "/")
        #expect(machine.responseQueued(keepAlive: true, now: at(3)) == .none)
        #expect(machine.writeCompleted(now: at(4)) == .close)
    }

    @Test func closesAtOnceWhenAnIdlePeerHalfCloses() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        _ = machine.received(bytes(request("/")), now: at(1))
        _ = machine.responseQueued(keepAlive: true, now: at(1))
        _ = machine.writeCompleted(now: at(1))
        #expect(machine.peerClosedRead() == .close)
        #expect(machine.isClosed)
        #expect(machine.peerClosedRead() == .none)
    }

    @Test func abandonsAPartialRequestWhenThePeerHalfCloses() {
        var fresh = HTTPConnectionStateMachine(now: accepted)
        #expect(fresh.received(bytes("GET / HTTP/1.1\r\n"), now: at(1)) == .none)
        #expect(fresh.peerClosedRead() == .close)

        var writing = HTTPConnectionStateMachine(now: accepted)
        _ = writing.received(bytes(request("/") + "GET"), now: at(1))
        _ = writing.responseQueued(keepAlive: true, now: at(1))
        #expect(writing.peerClosedRead() == .none)
        #expect(writing.checkTimeouts(now: at(20)) == .none)
        #expect(writing.writeCompleted(now: at(21)) == .close)
    }

    @Test func stopsReadingWhileAHeadsWorthOfInputWaits() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        #expect(machine.wantsToRead == true)
        _ = machine.received(bytes(request("/metrics")), now: at(1))
        #expect(machine.wantsToRead == true)
        let pipelined = bytes(String(repeating: request("/"), count: 240))
        #expect(pipelined.count == 8400)
        _ = machine.received(Array(pipelined[..<8191]), now: at(1))
        #expect(machine.wantsToRead == true)
        _ = machine.received(Array(pipelined[8191...]), now: at(1))
        #expect(machine.wantsToRead == false)
        for answered in 1...5 {
            #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(2))) == "/")
            #expect(machine.wantsToRead == false, "after \(answered) responses")
        }
        #expect(dispatchedPath(machine.responseQueued(keepAlive: true, now: at(2))) == "/")
        #expect(machine.wantsToRead == true)
    }

    @Test func ignoresEmptyReads() {
        var machine = HTTPConnectionStateMachine(now: accepted)
        _ = machine.received(bytes(request("/")), now: at(1))
        _ = machine.responseQueued(keepAlive: true, now: at(1))
        _ = machine.writeCompleted(now: at(1))
        #expect(machine.received([], now: at(5)) == .none)
        #expect(machine.isIdle)
        #expect(machine.nextDeadline == at(61))
    }

    @Test func leavesHTTP10ConnectionsToTheResponse() throws {
        var machine = HTTPConnectionStateMachine(now: accepted)
        let action = machine.received(bytes("GET / HTTP/1.0\r\n\r\n"), now: at(1))
        guard case .dispatch(let request) = action else {
            Issue.record("expected a dispatch, got \(action)")
            return
        }
        let head = request.head
        #expect(!head.keepAlive)
        #expect(machine.responseQueued(keepAlive: head.keepAlive, now: at(1)) == .none)
        #expect(machine.writeCompleted(now: at(1)) == .close)
    }
}
