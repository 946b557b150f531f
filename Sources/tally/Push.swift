import ArgumentParser
import TallyServer

/// `tally push`.
struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push StatsD lines to tally and wait until it has confirmed them.",
        discussion: """
            Each LINE is <name>:<value>|<type>[|@<rate>][|#<key>:<value>,...] with type c, g, ms, h or d. \
            With - as the only LINE, lines are read from standard input.

            Exits 0 when tally confirmed every line (durably when it keeps a state file), 1 when it refused \
            some (each is printed with its reason), 2 when tally could not be reached, did not confirm in time, \
            or applied the lines but could not make them durable (printed with the reason).
            """)

    @Option(
        name: .customLong(Invocation.socketOption),
        help: "Push socket (default: $TALLY_PUSH_SOCKET or /run/tally/push.sock).")
    var socket: String?

    @Option(name: .customLong(Invocation.timeoutOption), help: "Seconds to wait for tally's confirmation.")
    var timeout: Double = Invocation.defaultTimeout

    @Argument(help: "The lines to push, or - to read them from standard input.")
    var lines: [String]

    func validate() throws {
        guard !lines.isEmpty else { throw ValidationError("give at least one LINE, or - to read standard input") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        throw ExitCode(Invocation(socket: socket, timeout: timeout, lines: lines).run())
    }

    /// A `tally push` to perform. The common forms (`--socket`, `--timeout`, lines or `-`) are recognised here
    /// without ArgumentParser, whose reflection-based parsing costs about 2 ms of start-up, a lot for a command a
    /// script runs once per event; anything else (help, an unknown option, a bad value) is left to the full parser
    /// and its messages.
    struct Invocation {
        static let socketOption = "socket"
        static let timeoutOption = "timeout"
        static let defaultTimeout = 10.0

        var socket: String?
        var timeout: Double
        var lines: [String]

        init(socket: String?, timeout: Double, lines: [String]) {
            self.socket = socket
            self.timeout = timeout
            self.lines = lines
        }

        /// The invocation the arguments after `push` describe, or nil when they need the full parser.
        init?(parsing arguments: ArraySlice<String>) {
            var socket: String?
            var timeout: Double?
            var lines: [String] = []
            var remaining = arguments[...]
            while let argument = remaining.popFirst() {
                if argument == "--" {
                    lines.append(contentsOf: remaining)
                    break
                }
                guard argument.hasPrefix("-"), argument != "-" else {
                    lines.append(argument)
                    continue
                }
                // `--name=value` or `--name value`; each option at most once.
                let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let value = parts.count == 2 ? String(parts[1]) : remaining.popFirst() else { return nil }
                switch parts[0] {
                case "--" + Self.socketOption where socket == nil:
                    socket = value
                case "--" + Self.timeoutOption where timeout == nil:
                    guard let seconds = Double(value), seconds > 0, seconds.isFinite else { return nil }
                    timeout = seconds
                default:
                    return nil
                }
            }
            guard !lines.isEmpty else { return nil }
            self.init(socket: socket, timeout: timeout ?? Self.defaultTimeout, lines: lines)
        }

        /// Pushes the lines and reports the outcome; returns the exit status.
        func run() -> Int32 {
            let client = PushClient(
                socketPath: socket ?? PushSocketPaths.clientStreamSocket(), timeoutSeconds: timeout)
            let outcome = lines == ["-"] ? client.pushStandardInput() : client.push(lines: lines)
            return outcome.reportToStandardError()
        }
    }
}
