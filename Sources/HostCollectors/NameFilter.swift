import Synchronization

/// node_exporter's device filter: a name is left out when it matches the exclude pattern or does not match the
/// include pattern (collector/device_filter.go). At most one of the two is set.
///
/// The names seen on a machine (devices, interfaces, mount points) hardly change, so each decision is remembered
/// per name rather than matched again on every scrape; the memory is bounded by forgetting everything once
/// ``decisionLimit`` names have been seen (interfaces of short-lived containers come and go).
final class NameFilter: Sendable {
    private let state: Mutex<State>

    /// The number of remembered decisions that makes the filter start over.
    static let decisionLimit = 1024

    private struct State {
        let exclude: Pattern?
        let include: Pattern?
        var decisions: [String: Bool] = [:]
    }

    /// A filter built from command-line patterns. A nil `exclude` means the flag was not given: `defaultExclude`
    /// applies unless `include` is given. Both patterns given (and not empty) is an error, as is a pattern that does
    /// not compile.
    init(
        exclude: String?, include: String?, defaultExclude: String, excludeFlag: String, includeFlag: String
    ) throws(HostCollectorError) {
        let includePattern = include ?? ""
        if let exclude, !exclude.isEmpty, !includePattern.isEmpty {
            throw .mutuallyExclusive(flag: excludeFlag, otherFlag: includeFlag)
        }
        let excludePattern = exclude ?? (includePattern.isEmpty ? defaultExclude : "")
        let excludeRegex = try Self.compile(excludePattern, flag: excludeFlag)
        let includeRegex = try Self.compile(includePattern, flag: includeFlag)
        state = Mutex(State(exclude: excludeRegex, include: includeRegex))
    }

    private static func compile(_ pattern: String, flag: String) throws(HostCollectorError) -> Pattern? {
        guard !pattern.isEmpty else { return nil }
        do {
            return try Pattern(pattern)
        } catch {
            throw .invalidPattern(flag: flag, pattern: pattern, reason: error.reason)
        }
    }

    /// Whether `name` is reported.
    func admits(_ name: String) -> Bool {
        state.withLock { state in
            if let decision = state.decisions[name] { return decision }
            var admitted = true
            if let exclude = state.exclude, exclude.matches(name) { admitted = false }
            if admitted, let include = state.include, !include.matches(name) { admitted = false }
            if state.decisions.count >= Self.decisionLimit { state.decisions.removeAll(keepingCapacity: true) }
            state.decisions[name] = admitted
            return admitted
        }
    }
}
