// swift-tools-version: 6.2
// A package of your own that adds a sink to fsexport: a CSV writer, its own fsexport binary with
// every built-in command, and tests that drive the sink with simulated bundles.
import Foundation
import PackageDescription

// fsexport is two folders up. SwiftPM names a path dependency after its folder, which depends on
// where the repository was cloned; in your package, use the URL and a version instead.
let fsexportPath = "../.."
let fsexport = URL(fileURLWithPath: Context.packageDirectory).appendingPathComponent(fsexportPath).standardized.lastPathComponent

let package = Package(
    name: "custom-sink",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "my-fsexport", targets: ["my-fsexport"]),
        .library(name: "CSVSink", targets: ["CSVSink"]),
    ],
    dependencies: [.package(path: fsexportPath)],
    targets: [
        .target(
            name: "CSVSink",
            dependencies: [.product(name: "FSExportCore", package: fsexport)],
            exclude: ["clicks.fsexport.yml"],
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "FSExportPipelineValidation", package: fsexport)]),
        .executableTarget(
            name: "my-fsexport",
            dependencies: ["CSVSink", .product(name: "FSExportCommand", package: fsexport)],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        // The sink's own tests: on the core alone (FSExportSinkTesting), quick to build.
        .testTarget(
            name: "CSVSinkTests",
            dependencies: [
                "CSVSink",
                .product(name: "FSExportCore", package: fsexport),
                .product(name: "FSExportSinkTesting", package: fsexport),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        // Pipeline files that use it, against the simulator (FSExportTesting).
        .testTarget(
            name: "CSVPipelineTests",
            dependencies: [
                "CSVSink",
                .product(name: "FSExportTesting", package: fsexport),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
