// swift-tools-version: 6.2
import PackageDescription

/// The git revision the build comes from, for `tally_build_info`; "-dirty" marks uncommitted changes.
let revision: String = {
    guard let git = Context.gitInformation else { return "unknown" }
    return String(git.currentCommit.prefix(12)) + (git.hasUncommittedChanges ? "-dirty" : "")
}()

/// Settings shared by every Swift target of ours: Swift 6 language mode (the tools default) with
/// every warning an error.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "tally",
    products: [
        .executable(name: "tally", targets: ["tally"]),
        // The encoder benchmarks in Benchmarks/ are a package of their own (so that this one does not depend on
        // package-benchmark), and a package can use another's targets only through its products.
        .library(name: "MetricsCore", targets: ["MetricsCore"]),
        .library(name: "Exposition", targets: ["Exposition"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System-library shims.
        .target(name: "CLinux"),
        // The git revision, compiled in as a C string because a Swift define cannot carry a value.
        .target(name: "CBuildInfo", cSettings: [.define("TALLY_REVISION", to: "\"\(revision)\"")]),
        // libsystemd is loaded with dlopen when a systemd call needs it (see include/CSystemd.h).
        .target(name: "CSystemd"),
        // zlib and libyaml, from Debian's -dev packages.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CYAML", providers: [.apt(["libyaml-dev"])]),

        // Pure modules.
        .target(name: "MetricsCore", dependencies: ["MonotonicTime"], swiftSettings: strict),
        .target(name: "Exposition", dependencies: ["MetricsCore", "CZlib"], swiftSettings: strict),
        .target(name: "PushProtocol", swiftSettings: strict),
        .target(name: "MonotonicTime", swiftSettings: strict),
        .target(name: "HTTP1", dependencies: ["MonotonicTime"], swiftSettings: strict),
        // The protobuf wire format (reader, writer, decoding error), shared by OTLP and the Prometheus protobuf formats.
        .target(name: "ProtobufWire", swiftSettings: strict),
        .target(name: "OTLP", dependencies: ["ProtobufWire"], swiftSettings: strict),

        // Modules that touch the system. ProcFS's parsers are pure (bytes in, values out); beside them it holds the
        // one reader of /proc and /sys files (KernelFile) and the one directory-entry counter.
        .target(name: "ProcFS", swiftSettings: strict),
        .target(
            name: "HostCollectors",
            dependencies: ["ProcFS", "MetricsCore", "Exposition", "MonotonicTime", "SystemIO", "CLinux"],
            swiftSettings: strict),
        .target(
            name: "PushStore", dependencies: ["MetricsCore", "MonotonicTime", "PushProtocol", "OTLP"],
            swiftSettings: strict),
        .target(name: "SystemIO", dependencies: ["CLinux", "MonotonicTime"], swiftSettings: strict),
        .target(name: "Systemd", dependencies: ["CSystemd", "MonotonicTime"], swiftSettings: strict),
        .target(
            name: "TallyServer",
            dependencies: [
                "MetricsCore", "Exposition", "HostCollectors", "ProcFS", "PushProtocol", "PushStore", "HTTP1",
                "SystemIO", "Systemd", "CBuildInfo", "CYAML", "OTLP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tally",
            dependencies: [
                "TallyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Tests.
        .testTarget(name: "ProcFSTests", dependencies: ["ProcFS"], swiftSettings: strict),
        .testTarget(name: "MetricsCoreTests", dependencies: ["MetricsCore", "MonotonicTime"], swiftSettings: strict),
        .testTarget(
            name: "ExpositionTests", dependencies: ["Exposition", "MetricsCore"], exclude: ["Golden"],
            swiftSettings: strict),
        .testTarget(name: "PushProtocolTests", dependencies: ["PushProtocol"], swiftSettings: strict),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "MonotonicTime"], swiftSettings: strict),
        .testTarget(
            name: "OTLPTests", dependencies: ["OTLP", "ProtobufWire"], exclude: ["Vectors"], swiftSettings: strict),
        .testTarget(
            name: "HostCollectorsTests",
            dependencies: ["HostCollectors", "ProcFS", "MetricsCore", "MonotonicTime", "Exposition"],
            swiftSettings: strict),
        .testTarget(
            name: "PushStoreTests",
            dependencies: ["PushStore", "PushProtocol", "MetricsCore", "MonotonicTime", "OTLP"],
            swiftSettings: strict),
        .testTarget(name: "MonotonicTimeTests", dependencies: ["MonotonicTime"], swiftSettings: strict),
        .testTarget(name: "SystemIOTests", dependencies: ["SystemIO", "MonotonicTime"], swiftSettings: strict),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "MonotonicTime"], swiftSettings: strict),
        .testTarget(name: "TallyServerTests", dependencies: ["TallyServer"], swiftSettings: strict),
    ]
)
