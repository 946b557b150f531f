import ArgumentParser
import TallyServer

@main
struct Tally: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Host metrics and pushed pipeline metrics for Prometheus, in one small binary.",
        version: "tally \(BuildInfo.version) (revision \(BuildInfo.revision), Swift \(BuildInfo.swiftVersion))",
        subcommands: [Serve.self, Push.self, CheckConfig.self])

    /// Runs the common forms of `tally push` at once (see ``Push/Invocation``). For `serve`, turns
    /// `--collector.<name>` and `--no-collector.<name>` for the collectors in the table into the hidden
    /// `--collector-toggle` option before parsing, so that the flags come from the table rather than from a list
    /// kept by hand here.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "push", let push = Push.Invocation(parsing: arguments.dropFirst()) {
            exitProcess(push.run())
        }
        if arguments.first == "serve" {
            arguments = CollectorFlags.rewrite(arguments)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// The `--collector.<name>` flags of the collector table.
enum CollectorFlags {
    static let toggleOption = "--collector-toggle"

    static func rewrite(_ arguments: [String]) -> [String] {
        let names = Set(HostCollectorInfo.all.map(\.name))
        return arguments.flatMap { argument -> [String] in
            if argument.hasPrefix("--collector."), names.contains(String(argument.dropFirst(12))) {
                return [toggleOption + "=+" + argument.dropFirst(12)]
            }
            if argument.hasPrefix("--no-collector."), names.contains(String(argument.dropFirst(15))) {
                return [toggleOption + "=-" + argument.dropFirst(15)]
            }
            return [argument]
        }
    }

    static var help: String {
        HostCollectorInfo.all.map { collector in
            "  --[no-]collector.\(collector.name)  (default \(collector.isEnabledByDefault ? "on" : "off"))"
        }.joined(separator: "\n")
    }
}
