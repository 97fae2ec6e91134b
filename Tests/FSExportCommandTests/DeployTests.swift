import Foundation
import FSExportSimulator
import FSExportTestSupport
import Testing

/// deploy/: the systemd units pass systemd's own check, and the command lines they and the
/// crontab run are real (run here against the simulator, paths swapped for a scratch folder's).
@Suite("Deploying it")
struct DeployTests {
    static let deploy = "\(LayeringTests.repository)/deploy"

    @Test("The service and timer pass systemd-analyze verify with no warning (a unit with a typo does not)")
    func unitsVerify() async throws {
        let work = try TemporaryFolder("units")
        let service = try String(contentsOfFile: "\(Self.deploy)/fsexport@.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/fsexport", with: FSExportBinary.url.path)
        try work.write("fsexport@nightly.service", service)
        try work.write("fsexport@nightly.timer", try String(contentsOfFile: "\(Self.deploy)/fsexport@.timer", encoding: .utf8))
        try work.write("typo@nightly.service", service.replacingOccurrences(of: "ProtectSystem=strict", with: "ProtectSystem=strictly"))
        func verify(_ units: [String]) async throws -> CommandResult {
            try await FSExportBinary.run(["verify", "--man=no"] + units.map { work.file($0) }, environment: ["SYSTEMD_LOG_LEVEL": "notice"], executable: "/usr/bin/systemd-analyze")
        }
        let good = try await verify(["fsexport@nightly.service", "fsexport@nightly.timer"])
        #expect(good.status == 0 && good.stderr.isEmpty, "\(good.stderr)")
        let typo = try await verify(["typo@nightly.service"])
        #expect(typo.stderr.contains("protect system value"), "the check sees a bad value: \(typo.stderr)")
    }

    /// The command a deploy file runs, its system paths swapped for the scratch folder's.
    static func command(in file: String, swapping paths: [String: String]) throws -> String {
        let text = try String(contentsOfFile: "\(deploy)/\(file)", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.contains("/usr/bin/fsexport run") })
        var command = String(line[line.range(of: "/usr/bin/fsexport")!.lowerBound...])
        for (from, to) in paths { command = command.replacingOccurrences(of: from, with: to) }
        return command
    }

    @Test("The crontab's and the service's command lines run a pipeline as typed")
    func commandsRun() async throws {
        let work = try TemporaryFolder("deploy")
        try await withSimulator { simulator in
            let pipeline = "source: {start: 0, settle: 0s, until: 2024-01-03, state: \(work.path)/state/state.json, spool: \(work.path)/state/spool}\nstages:\n  raw: {type: files, inputs: [source], root: \(work.path)/out, path: \"{id}.json.gz\"}\n"
            try work.write("etc/nightly.fsexport.yml", pipeline)
            try work.write("etc/nightly.key", simulator.configuration.apiKey + "\n")
            #expect(chmod(work.file("etc/nightly.key"), 0o600) == 0)
            try work.write("credentials/api-key", simulator.configuration.apiKey + "\n")
            #expect(chmod(work.file("credentials/api-key"), 0o600) == 0)
            let swaps = [
                "/usr/bin/fsexport": FSExportBinary.url.path, "/etc/fsexport/": "\(work.path)/etc/", "%i": "nightly",
                "${CREDENTIALS_DIRECTORY}": work.file("credentials"), "/var/lib/node_exporter/textfile/": "\(work.path)/metrics/",
                "/var/lib/fsexport/": "\(work.path)/metrics/",
            ]
            for file in ["crontab", "fsexport@.service"] {
                let command = try Self.command(in: file, swapping: swaps)
                let run = try await Programs.shell("umask 077 && \(command)", environment: ["FSEXPORT_BASE_URL": simulator.baseURL])
                #expect(run.status == 0, "\(file): \(command)\n\(run.stderr)")
            }
            #expect(FileManager.default.fileExists(atPath: work.file("metrics/fsexport-nightly.prom")))
            #expect(FileManager.default.fileExists(atPath: work.file("metrics/nightly.prom")))
            #expect(work.listing().filter { $0.hasPrefix("out/") && $0.hasSuffix(".json.gz") }.count == 2)
        }
    }

    @Test("scripts/package-deb makes a package that installs (into a scratch root), runs, has its man page and completions, and removes cleanly")
    func debianPackage() async throws {
        let repository = LayeringTests.repository
        try #require(
            FileManager.default.fileExists(atPath: "\(repository)/.build/man/fsexport.1"),
            "no .build/man/fsexport.1: run docs/man.sh first (the README's test command does, before swift test)")
        let work = try TemporaryFolder("deb")
        let package = try await FSExportBinary.run(
            ["\(repository)/scripts/package-deb", "--configuration", "debug", "--no-build", "--output", work.file("debs")], executable: "/usr/bin/env")
        try #require(package.status == 0, "\(package.stderr)")
        let deb = try #require(package.stdout.split(separator: "\n").last.map(String.init))
        #expect(deb.hasSuffix("_amd64.deb") || deb.hasSuffix(".deb"))
        // Every package it depends on is a real one (installed here, where it was built).
        let info = try await FSExportBinary.run(["-f", deb, "Depends"], executable: "/usr/bin/dpkg-deb")
        for dependency in info.stdout.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !dependency.isEmpty {
            #expect(try await FSExportBinary.run(["-W", dependency], executable: "/usr/bin/dpkg-query").status == 0, "\(dependency) is not a package here")
        }
        // Installed into a root of its own, so that the test touches nothing of the system's.
        let root = work.file("root")
        for folder in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
        }
        try work.write("root/var/lib/dpkg/status", "")
        try work.write("root/var/lib/dpkg/available", "")
        // --path-include: container images often tell dpkg to leave man pages and docs out.
        let dpkg = ["--root=\(root)", "--log=/dev/null", "--force-not-root", "--path-include=/usr/*"]
        let install = try await FSExportBinary.run(dpkg + ["--force-depends", "-i", deb], executable: "/usr/bin/dpkg")
        #expect(install.status == 0, "\(install.stderr)")
        let version = try await FSExportBinary.run(["--version"], executable: "\(root)/usr/bin/fsexport")
        #expect(version.status == 0 && version.stdout.hasPrefix("fsexport "), "\(version.stderr)")
        let man = try await FSExportBinary.run(["-M", "\(root)/usr/share/man", "-w", "fsexport"], executable: "/usr/bin/man")
        #expect(man.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(root)/usr/share/man/man1/fsexport.1", "\(man.stdout)\(man.stderr)")
        for completion in ["share/bash-completion/completions/fsexport", "share/zsh/site-functions/_fsexport", "share/fish/vendor_completions.d/fsexport.fish", "share/doc/fsexport/examples/fsexport@.service"] {
            #expect(FileManager.default.fileExists(atPath: "\(root)/usr/\(completion)"), "\(completion)")
        }
        let remove = try await FSExportBinary.run(dpkg + ["-r", "fsexport"], executable: "/usr/bin/dpkg")
        #expect(remove.status == 0, "\(remove.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/usr/bin/fsexport"))
    }
}
