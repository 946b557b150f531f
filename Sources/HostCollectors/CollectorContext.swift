/// What the factories of one registration share: the options.
struct CollectorContext: Sendable {
    let options: HostCollectorOptions
}
