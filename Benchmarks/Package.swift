// swift-tools-version: 6.2
import PackageDescription

// The benchmarks of tally, a package of their own so that the main package does not depend on package-benchmark.
// Run them with `make bench`, or here with
// `swift package --disable-sandbox --scratch-path .build-bench benchmark`.
let package = Package(
    name: "tally-benchmarks",
    dependencies: [
        .package(name: "tally", path: ".."),
        // package-benchmark, renamed ordo-one/benchmark; only the malloc-interposer trait (its default Linux runtime
        // interposer trait needs a package this machine's mirror does not carry).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ExpositionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Exposition", package: "tally"),
                .product(name: "MetricsCore", package: "tally"),
            ],
            path: "ExpositionBenchmarks",
            swiftSettings: [.treatAllWarnings(as: .error)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
