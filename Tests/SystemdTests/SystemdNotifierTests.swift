import Glibc
import MonotonicTime
import Testing

@testable import Systemd

/// The notifier against a datagram socket standing in for systemd. Each test sets `$NOTIFY_SOCKET` in a child
/// process (an exit test), so that no other test in this process can send to the stand-in or see the variable;
/// the child prints what the stand-in received and the parent checks it.
@Suite(.serialized)
struct SystemdNotifierTests {
    /// Every message kind, in the order the server sends them, to a socket at `address`.
    static func sendEveryMessage(to address: String) throws {
        let receiver = try NotifyReceiver(address: address)
        setenv("NOTIFY_SOCKET", address, 1)
        let notifier = SystemdNotifier(clock: MonotonicClock { MonotonicInstant(nanoseconds: 123_456_789_012) })
        print("active=\(notifier.isActive)")
        try notifier.ready()
        print(escapingNewlines(receiver.receive() ?? "<nothing>"))
        try notifier.status("series 12, scrapes 3\nlast error: none\r\n\u{0}end")
        print(escapingNewlines(receiver.receive() ?? "<nothing>"))
        try notifier.reloading()
        print(escapingNewlines(receiver.receive() ?? "<nothing>"))
        try notifier.watchdog()
        print(escapingNewlines(receiver.receive() ?? "<nothing>"))
        try notifier.notify(["STATUS": "stopping\nnow", "EXTEND_TIMEOUT_USEC": "5000000"])
        print(escapingNewlines(receiver.receive() ?? "<nothing>"))
        try notifier.stopping()
        print(escapingNewlines(receiver.receive() ?? "<nothing>"))
        print("environment=\(getenv("NOTIFY_SOCKET").map { String(cString: $0) } ?? "<unset>")")
    }

    /// Checks what `sendEveryMessage` printed for `address`.
    static func expectEveryMessage(_ output: [String], address: String) throws {
        try #require(output.count == 8, "\(output)")
        #expect(output[0] == "active=true")
        #expect(output[1] == "READY=1")
        #expect(output[2] == "STATUS=series 12, scrapes 3 last error: none   end")
        #expect(output[3] == "RELOADING=1\\nMONOTONIC_USEC=123456789")
        #expect(output[4] == "WATCHDOG=1")
        #expect(output[5] == "STATUS=stopping now\\nEXTEND_TIMEOUT_USEC=5000000")
        #expect(output[6] == "STOPPING=1")
        #expect(output[7] == "environment=\(address)")
    }

    @Test func sendsEveryMessageToAPathSocket() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let directory = try makeTemporaryDirectory()
            defer { removeDirectory(directory) }
            try SystemdNotifierTests.sendEveryMessage(to: directory + "/notify")
        }
        let output = lines(result?.standardOutputContent)
        try #require(output.count == 8, "\(output)")
        try Self.expectEveryMessage(output, address: String(output[7].dropFirst("environment=".count)))
        #expect(output[7].hasPrefix("environment=/tmp/tally-systemd-"))
    }

    @Test func sendsEveryMessageToAnAbstractSocket() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            try SystemdNotifierTests.sendEveryMessage(to: "@tally-systemd-test-\(getpid())")
        }
        let output = lines(result?.standardOutputContent)
        try #require(output.count == 8, "\(output)")
        try Self.expectEveryMessage(output, address: String(output[7].dropFirst("environment=".count)))
        #expect(output[7].hasPrefix("environment=@tally-systemd-test-"))
    }

    @Test func doesNothingOutsideSystemd() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            unsetenv("NOTIFY_SOCKET")
            let notifier = SystemdNotifier()
            print("active=\(notifier.isActive)")
            try notifier.ready()
            try notifier.status("serving")
            try notifier.reloading()
            try notifier.watchdog()
            try notifier.notify(["STATUS": "x"])
            try notifier.stopping()
            print("sent")
        }
        #expect(lines(result?.standardOutputContent) == ["active=false", "sent"])
    }

    @Test func reportsAnUnreachableSocket() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let directory = try makeTemporaryDirectory()
            defer { removeDirectory(directory) }
            setenv("NOTIFY_SOCKET", directory + "/nobody-listens", 1)
            do throws(SystemdError) {
                try SystemdNotifier().ready()
                print("sent")
            } catch {
                print(error.call, error.errno)
                print(error)
            }
        }
        #expect(
            lines(result?.standardOutputContent) == [
                "sd_notify \(ENOENT)", "sd_notify failed: No such file or directory (errno \(ENOENT))",
            ])
    }

    @Test func rejectsAKeyHoldingAnEqualsSign() async {
        await #expect(processExitsWith: .failure) {
            unsetenv("NOTIFY_SOCKET")
            try? SystemdNotifier().notify(["STATUS=x": "y"])
        }
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("two\nlines", "two lines"),
        ("crlf\r\n", "crlf  "),
        ("escape\u{1B}[0m and delete\u{7F}", "escape [0m and delete "),
        ("tab\tand ünïcode", "tab and ünïcode"),
        ("", ""),
    ])
    func keepsStatusToOneLine(text: String, expected: String) {
        #expect(SystemdNotifier.singleLine(text) == expected)
    }
}
