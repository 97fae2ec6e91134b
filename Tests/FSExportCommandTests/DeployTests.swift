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
        try await ExportSimulator.withRunning(SimulatorConfiguration(rateLimit: nil)) { simulator in
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
                let run = try await FSExportBinary.run(["-c", "umask 077 && \(command)"], environment: ["FSEXPORT_BASE_URL": simulator.baseURL], executable: "/bin/bash")
                #expect(run.status == 0, "\(file): \(command)\n\(run.stderr)")
            }
            #expect(FileManager.default.fileExists(atPath: work.file("metrics/fsexport-nightly.prom")))
            #expect(FileManager.default.fileExists(atPath: work.file("metrics/nightly.prom")))
            #expect(work.listing().filter { $0.hasPrefix("out/") && $0.hasSuffix(".json.gz") }.count == 2)
        }
    }
}
