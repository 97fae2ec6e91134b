import Foundation
import Testing

/// The programs the tests run beside fsexport. One missing makes many tests fail with "command
/// not found"; this says which, and what installs it, first.
@Suite("Tools the tests use")
struct ToolsTests {
    /// Each tool, and the `.ci/install-deps` call that brings it.
    static let tools: [(name: String, installedBy: String)] = [
        ("jq", ".ci/install-deps"), ("sqlite3", ".ci/install-deps"), ("zstd", ".ci/install-deps"), ("gzip", ".ci/install-deps"),
        ("tar", ".ci/install-deps"), ("python3", ".ci/install-deps"), ("psql", ".ci/install-deps --tests"),
        ("systemd-analyze", ".ci/install-deps --tests"), ("man", ".ci/install-deps --tests"), ("dpkg-deb", ".ci/install-deps --tests"),
    ]

    static func onPath(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    @Test("Every program the tests run is installed", arguments: tools.map(\.name))
    func installed(_ name: String) {
        let installer = Self.tools.first { $0.name == name }?.installedBy ?? ".ci/install-deps"
        #expect(Self.onPath(name), "\(name) is not installed: run \(installer) (CI runs it first)")
    }

    @Test("PostgreSQL's server, which the database tests start, is installed")
    func postgresServer() {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        #expect(versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") },
                "PostgreSQL's server is not installed: run .ci/install-deps --tests")
    }
}
