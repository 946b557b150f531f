import ArgumentParser
import TallyServer

/// `tally check-config`.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a configuration file and exit.")

    @Option(name: .customLong("config.file"), help: "The YAML configuration file to check.")
    var configFile: String

    func run() throws {
        do {
            let configuration = try TallyConfiguration.load(path: configFile)
            print(
                "\(configFile): valid; \(configuration.views.rules.count) rules, cardinality limit "
                    + "\(configuration.views.defaultCardinalityLimit), at most \(configuration.maxPushedSeries) pushed series"
            )
        } catch {
            printToStandardError("\(error)")
            throw ExitCode.failure
        }
    }
}
