import Glibc
import Systemd
import Testing

/// `Watchdog.fromEnvironment()` over the variables systemd sets. Each case sets them in a child process (an exit
/// test), which prints what it read; the parent checks it.
@Suite(.serialized)
struct WatchdogTests {
    /// `$WATCHDOG_PID` for one case: unset, this process, another process, or a literal value.
    enum WatchdogPID: Codable, Sendable {
        case unset, this, other
        case literal(String)
    }

    struct Case: Codable, Sendable, CustomTestStringConvertible {
        let microseconds: String?
        let pid: WatchdogPID
        let expected: String

        var testDescription: String { "WATCHDOG_USEC=\(microseconds ?? "<unset>") WATCHDOG_PID=\(pid)" }
    }

    static let cases: [Case] = [
        Case(microseconds: "2000000", pid: .unset, expected: "timeout=2000000 ping=1.0 seconds"),
        Case(microseconds: "2000000", pid: .this, expected: "timeout=2000000 ping=1.0 seconds"),
        Case(microseconds: "2000000", pid: .other, expected: "off"),
        Case(microseconds: "30000000", pid: .unset, expected: "timeout=30000000 ping=15.0 seconds"),
        Case(microseconds: "3", pid: .unset, expected: "timeout=3 ping=1.5e-06 seconds"),
        Case(microseconds: nil, pid: .unset, expected: "off"),
        Case(microseconds: nil, pid: .this, expected: "off"),
        Case(microseconds: "0", pid: .unset, expected: "error=sd_watchdog_enabled \(EINVAL)"),
        Case(microseconds: "2s", pid: .unset, expected: "error=sd_watchdog_enabled \(EINVAL)"),
        Case(microseconds: "", pid: .unset, expected: "error=sd_watchdog_enabled \(EINVAL)"),
        Case(microseconds: "-5", pid: .unset, expected: "error=sd_watchdog_enabled \(ERANGE)"),
        Case(microseconds: "2000000", pid: .literal("self"), expected: "error=sd_watchdog_enabled \(EINVAL)"),
        Case(microseconds: "2000000", pid: .literal("0"), expected: "error=sd_watchdog_enabled \(ERANGE)"),
    ]

    @Test(arguments: cases)
    func readsTheEnvironment(_ watchdogCase: Case) async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            [watchdogCase = watchdogCase as Case] in
            if let microseconds = watchdogCase.microseconds {
                setenv("WATCHDOG_USEC", microseconds, 1)
            } else {
                unsetenv("WATCHDOG_USEC")
            }
            switch watchdogCase.pid {
            case .unset: unsetenv("WATCHDOG_PID")
            case .this: setenv("WATCHDOG_PID", String(getpid()), 1)
            case .other: setenv("WATCHDOG_PID", String(getppid()), 1)
            case .literal(let value): setenv("WATCHDOG_PID", value, 1)
            }
            do throws(SystemdError) {
                if let watchdog = try Watchdog.fromEnvironment() {
                    print("timeout=\(watchdog.timeoutMicroseconds) ping=\(watchdog.pingInterval)")
                } else {
                    print("off")
                }
            } catch {
                print("error=\(error.call) \(error.errno)")
            }
            print("environment=\(getenv("WATCHDOG_USEC").map { String(cString: $0) } ?? "<unset>")")
        }
        let environment = "environment=\(watchdogCase.microseconds ?? "<unset>")"
        #expect(lines(result?.standardOutputContent) == [watchdogCase.expected, environment])
    }

    @Test(arguments: [
        (UInt64(2_000_000), Duration.seconds(2), Duration.seconds(1)),
        (UInt64(1), Duration.microseconds(1), Duration.nanoseconds(500)),
        (UInt64.max, Duration.microseconds(Int64.max), Duration.microseconds(Int64.max) / 2),
    ])
    func pingsAtHalfTheTimeout(microseconds: UInt64, timeout: Duration, ping: Duration) {
        let watchdog = Watchdog(timeoutMicroseconds: microseconds)
        #expect(watchdog.timeout == timeout)
        #expect(watchdog.pingInterval == ping)
    }
}
