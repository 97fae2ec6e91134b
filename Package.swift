// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// The commit being built, for `fsexport --version` (through CBuildInfo, a C target: Swift takes
/// no values from the command line): FSEXPORT_COMMIT when given (scripts/install gives it), else
/// git's, as of the manifest's last evaluation (SwiftPM evaluates it again when it or the
/// environment changes, not on a new commit, so an incremental build may name an older one).
let commit: String = {
    if let given = Context.environment["FSEXPORT_COMMIT"] { return given }
    guard let git = Context.gitInformation else { return "unknown" }
    return String(git.currentCommit.prefix(12)) + (git.hasUncommittedChanges ? "-dirty" : "")
}()

/// The fuzz programs and the modules they exercise: every parser's target in one (a build and a
/// link, not ten), and the inflater on its own (a test builds it without ISA-L).
let fuzzTargets: [(String, [Target.Dependency])] = [
    ("fuzz-parsers", ["FSExportCore", "FSExportClient", "FSExportPipeline", "FSExportHTTP", "FSExportS3"]),
    ("fuzz-inflate", ["FSExportZlib"]),
]

let package = Package(
    name: "fsexport",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fsexport", targets: ["fsexport"]),
        .library(name: "FSExportClient", targets: ["FSExportClient"]),
        .library(name: "FSExportArchive", targets: ["FSExportArchive"]),
        .library(name: "FSExportCore", targets: ["FSExportCore"]),
        .library(name: "FSExportSinks", targets: ["FSExportSinks"]),
        .library(name: "FSExportS3", targets: ["FSExportS3"]),
        .library(name: "FSExportWarehouse", targets: ["FSExportWarehouse"]),
        .library(name: "FSExportPipeline", targets: ["FSExportPipeline"]),
        .library(name: "FSExportSimulator", targets: ["FSExportSimulator"]),
        .library(name: "FSExportCommand", targets: ["FSExportCommand"]),
        .library(name: "FSExportSinkTesting", targets: ["FSExportSinkTesting"]),
        .library(name: "FSExportTesting", targets: ["FSExportTesting"]),
        .plugin(name: "FSExportPipelineValidation", targets: ["FSExportPipelineValidation"]),
        .plugin(name: "FSExportNewSink", targets: ["FSExportNewSink"]),
    ],
    // Built with ISA-L's inflate unless `--disable-default-traits` (where libisal is missing).
    traits: [
        .trait(name: "ISAL", description: "Inflate gzip with Intel ISA-L (libisal), several times faster than zlib."),
        .default(enabledTraits: ["ISAL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C system libraries, and for each a shim for what Swift cannot call directly.
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(
            name: "CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        .systemLibrary(
            name: "CIsal", pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"]), .brew(["isa-l"])]),
        .systemLibrary(
            name: "CDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(
            name: "CPostgres", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),
        .target(name: "CZlibShims", dependencies: ["CZlib"]),
        // The JSON scanner's vector compares (SSE2, or a word or a byte at a time where there is none).
        .target(name: "CJSONScan"),
        // Process tuning, for the executables alone.
        .target(name: "CMallocTuning"),
        // The commit fsexport was built from, for --version.
        .target(name: "CBuildInfo", cSettings: [.define("FSEXPORT_COMMIT", to: "\"\(commit)\"")]),

        // gzip for everyone (the client, the decoder, the sinks, the simulator): inflating with ISA-L
        // (zlib where it is built without, or FSEXPORT_INFLATE=zlib), compressing blocks on every core
        // with libdeflate, and zlib's streams where a stream is needed.
        .target(
            name: "FSExportZlib",
            dependencies: ["CZlib", "CZlibShims", "CDeflate", .target(name: "CIsal", condition: .when(traits: ["ISAL"]))],
            swiftSettings: strict),
        // zstd compression on every core (through FSExportZlib's ordered blocks), for ndjson and files stages.
        .target(name: "FSExportZstd", dependencies: ["CZstd", "FSExportZlib"], swiftSettings: strict),

        // What the core and the HTTP layer both speak, with no dependency: the injected clocks,
        // timestamps and durations as text, a transfer's progress, the secrets a process holds and
        // text from outside made safe to show. The core re-exports it.
        .target(name: "FSExportBasics", dependencies: [], swiftSettings: strict),

        // HTTP over libcurl's easy interface, one blocking transfer a thread, cancellable: shared by
        // the API client and the object-storage sink. Stands on the basics, not on the core.
        .target(
            name: "FSExportHTTP",
            dependencies: [
                "FSExportBasics", "CCurl", "CCurlShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),

        // The legacy export API as a BundleSource: LIST paging, GET to a verified spool file, rate
        // limit, retries. Stands on the core.
        .target(
            name: "FSExportClient",
            dependencies: [
                "FSExportCore", "FSExportHTTP", "FSExportZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),

        // The foundation: the BundleSource and Sink protocols, the engine, streaming decode, events,
        // templates, checkpoints, and the small utilities everyone needs. No HTTP, curl, YAML,
        // argument parsing or NIO here (a test holds it to that); logs and metrics through the
        // ecosystem's APIs, whose backends the program chooses; digests (a split value's name,
        // S3's checksums) from libcrypto, which libcurl links anyway.
        .target(
            name: "FSExportCore",
            dependencies: [
                "FSExportBasics", "FSExportZlib", "FSExportZstd", "CCrypto", "CJSONScan",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),

        // A local archive of bundles (what a files stage wrote) as a BundleSource.
        .target(
            name: "FSExportArchive",
            dependencies: ["FSExportCore", "FSExportZlib"],
            swiftSettings: strict),

        // The built-in sinks: files, ndjson, tar (libarchive), command (swift-subprocess).
        .target(
            name: "FSExportSinks",
            dependencies: [
                "FSExportCore", "CArchive",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),

        // Object storage: S3 and compatible stores, as a sink (multipart uploads, exactly once).
        .target(
            name: "FSExportS3",
            dependencies: [
                "FSExportCore", "FSExportHTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Loading into databases, exactly once: the sqlite and postgres stages on one shared layer
        // (table shape and evolution, the ledger, batching), each over its C library.
        .target(
            name: "FSExportWarehouse",
            dependencies: [
                "FSExportCore", "CSQLite", "CPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: strict),

        // The pipeline file: YAML with source locations, interpolation, validation, the sink registry.
        .target(
            name: "FSExportPipeline",
            dependencies: [
                "FSExportCore", "FSExportSinks", "FSExportClient", "FSExportArchive", "FSExportS3", "FSExportWarehouse",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // What the simulator serves: seeded, export-shaped bundles, written in constant memory.
        .target(
            name: "FSExportSimulatedData",
            dependencies: ["FSExportZlib", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict),

        // A faithful stand-in for the export API, faults included. Shares no code with the client.
        .target(
            name: "FSExportSimulator",
            dependencies: [
                "FSExportSimulatedData",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // A sink author's tests, on the core alone: simulated bundles through a sink (SinkHarness),
        // the contract every sink keeps (SinkContract), a temporary folder. No HTTP, NIO or YAML.
        .target(
            name: "FSExportSinkTesting",
            dependencies: ["FSExportCore", "FSExportSimulatedData", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // Whole pipeline files with your own sinks, against the in-process simulator.
        .target(
            name: "FSExportTesting",
            dependencies: [
                "FSExportCore", "FSExportClient", "FSExportPipeline", "FSExportSimulator", "FSExportSimulatedData",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // The command tree, reusable by a user's own binary.
        .target(
            name: "FSExportCommand",
            dependencies: [
                "FSExportClient", "FSExportHTTP", "FSExportSimulator", "FSExportSimulatedData", "FSExportZlib", "FSExportZstd", "FSExportCore",
                "FSExportPipeline", "FSExportArchive", "FSExportSinks", "FSExportWarehouse", "CBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "fsexport", dependencies: ["FSExportCommand", "CMallocTuning"], swiftSettings: strict),

        // SwiftPM plugins: pipeline files validated at build time, and a scaffold for new sinks.
        .executableTarget(name: "fsexport-validate", dependencies: ["FSExportPipeline"], swiftSettings: strict),
        .plugin(name: "FSExportPipelineValidation", capability: .buildTool(), dependencies: ["fsexport-validate"]),
        .plugin(
            name: "FSExportNewSink",
            capability: .command(
                intent: .custom(verb: "fsexport-new-sink", description: "Scaffold a custom fsexport sink, its options, its registration and a test"),
                permissions: [.writeToPackageDirectory(reason: "writes the new sink and its test into your package")])),

        .executableTarget(
            name: "fsexport-benchmark",
            dependencies: [
                "FSExportCore", "FSExportClient", "FSExportPipeline", "FSExportSimulator", "FSExportSimulatedData", "CMallocTuning",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/DecodeBenchmark", swiftSettings: strict),

        // libFuzzer targets for every parser (Fuzz/run.sh); built here too, where they replay corpora.
        .target(name: "FuzzDriver", path: "Fuzz/FuzzDriver", swiftSettings: strict),
    ] + fuzzTargets.map { (name: String, dependencies: [Target.Dependency]) -> Target in
        .executableTarget(name: name, dependencies: ["FuzzDriver"] + dependencies, path: "Fuzz/\(name)", swiftSettings: strict)
    } + [
        // Helpers shared by the test targets (not a product).
        .target(name: "FSExportTestSupport", dependencies: ["FSExportZlib", "FSExportCore", "FSExportSinkTesting", "FSExportSimulatedData", "FSExportSimulator"], path: "Tests/Support", exclude: ["s3-store.py", "postgres-server.sh"], swiftSettings: strict),
        .testTarget(
            name: "FSExportClientTests",
            dependencies: [
                "FSExportClient", "FSExportHTTP", "FSExportCore", "FSExportSimulator", "FSExportSimulatedData", "FSExportTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "FSExportCoreTests",
            dependencies: [
                "FSExportCore", "FSExportZlib", "FSExportTestSupport", "CJSONScan",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "FSExportPipelineTests",
            dependencies: [
                "FSExportPipeline", "FSExportCore", "FSExportClient", "FSExportArchive", "FSExportSimulator", "FSExportSimulatedData", "FSExportZlib",
                "FSExportTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "FSExportS3Tests",
            dependencies: [
                "FSExportS3", "FSExportHTTP", "FSExportCore", "FSExportTestSupport", "CCrypto",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "FSExportSinksTests",
            dependencies: [
                "FSExportSinks", "FSExportCore", "FSExportSinkTesting", "FSExportTestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "FSExportCommandTests",
            dependencies: [
                "FSExportCommand", "FSExportCore", "FSExportSimulator", "FSExportSimulatedData", "fsexport", "CMallocTuning", "FSExportTestSupport",
            ],
            swiftSettings: strict),
    ]
)
