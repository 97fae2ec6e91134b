import Foundation
import FSExportSimulatedData
import FSExportSimulator
import FSExportTestSupport
import Testing

@Suite("Options every command shares")
struct SharedOptionsTests {
    @Test("-q and -v are accepted by every subcommand that logs; validate -q prints errors only")
    func quietAndVerboseEverywhere() async throws {
        let work = try TemporaryFolder("quiet")
        let file = try work.rawPipeline(source: "start: 0, settle: 0s, until: 2024-01-02", root: "out")
        let validate = try await FSExportBinary.run(["validate", "-q", file])
        #expect(validate.status == 0 && validate.stdout.isEmpty && validate.stderr.isEmpty, "\(validate)")
        #expect(try await FSExportBinary.run(["validate", "-v", file]).stdout.contains("ok (1 stage: raw)"))
        let status = try await FSExportBinary.run(["status", "-q", "--offline", file])
        #expect(status.status == 0 && status.stdout.contains("checkpoint"), "\(status.stderr)")
        let reset = try await FSExportBinary.run(["reset", "-q", file, "--to", "2024-01-01", "--yes"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(try await FSExportBinary.run(["reset", "-q", "-v", file, "--to", "2024-01-01", "--yes"]).status == 64)
    }

    @Test("--interval without --follow is a usage error that says what to do")
    func intervalNeedsFollow() async throws {
        let work = try TemporaryFolder("interval")
        let file = try work.rawPipeline(source: "start: 0")
        let run = try await FSExportBinary.run(["run", file, "--simulate", "--interval", "5m"])
        #expect(run.status == 64 && run.stderr.contains("--interval is how long --follow waits between runs: add --follow"), "\(run.stderr)")
        #expect(work.listing() == ["p.yml"], "nothing ran")
    }

    @Test("--follow against Fullstory's API checks at most once a minute; a simulator may be followed more often")
    func intervalFloor() async throws {
        let work = try TemporaryFolder("interval-floor")
        let file = try work.rawPipeline(source: "start: 0, state: s.json")
        let run = try await FSExportBinary.run(["run", file, "--follow", "--interval", "10s"], key: "a-key", environment: ["FSEXPORT_BASE_URL": ""])
        #expect(run.status == 64 && run.stderr.contains("--interval 10s is below 1m: Fullstory's API allows two downloads a minute"), "\(run.stderr)")
        #expect(!work.listing().contains("s.json"), "nothing ran")
    }

    @Test("A time a command cannot read shows that command's usage; events --json says events writes JSON already")
    func commandUsage() async throws {
        for command in ["list", "events", "run"] {
            let arguments = [command] + (command == "run" ? ["p.yml"] : []) + ["--since", "yesterday"]
            let run = try await FSExportBinary.run(arguments)
            #expect(run.status == 64 && run.stderr.contains("--since: cannot read 'yesterday'"), "\(run.stderr)")
            #expect(run.stderr.contains("Usage: fsexport \(command) ") && !run.stderr.contains("<subcommand>"), "\(run.stderr)")
        }
        let json = try await FSExportBinary.run(["events", "--json", "--simulate"])
        #expect(json.status == 64 && json.stderr.contains("events writes JSON already") && json.stderr.contains("fsexport list --json"), "\(json.stderr)")
        #expect(!json.stderr.contains("--from"), "\(json.stderr)")
    }

    @Test("validate - names standard input the same way in its lines and its summary")
    func standardInputNamed() async throws {
        let run = try await Programs.shell("printf 'source: {start: 0}\\nstages: {}\\nbogus: 1\\n' | '\(FSExportBinary.url.path)' validate -")
        #expect(run.status == 78)
        #expect(run.stderr.contains("<stdin>:3:1: error: ") && run.stderr.hasSuffix("<stdin>: 2 errors\n"), "\(run.stderr)")
        #expect(!run.stderr.contains("-: "), "\(run.stderr)")
    }

    @Test("--version names the version and the C libraries it runs with")
    func version() async throws {
        let run = try await FSExportBinary.run(["--version"])
        #expect(run.status == 0)
        for part in ["fsexport ", "libcurl/", "zlib/", "ISA-L/", "libdeflate/", "libzstd/", "libarchive/", "SQLite/", "libpq/", "inflated with ISA-L/"] {
            #expect(run.stdout.contains(part), "\(part) missing from \(run.stdout)")
        }
        // The commit, from the manifest's git information: 12 hex digits, -dirty for a changed tree.
        let commit = try #require(run.stdout.split(separator: "\n").first?.split(separator: "(commit ").last?.dropLast())
        #expect(commit.prefix(12).allSatisfy(\.isHexDigit) && commit.count >= 12, "\(run.stdout)")
        let zlib = try await FSExportBinary.run(["--version"], environment: ["FSEXPORT_INFLATE": "zlib"])
        #expect(zlib.stdout.contains("inflated with zlib/"), "\(zlib.stdout)")
    }
}

@Suite("Empty results speak")
struct EmptyResultsTests {
    @Test("A window that ends before it starts is a usage error for run, events and list", arguments: [
        ["run", "PIPELINE", "--simulate"], ["events", "--simulate"], ["list", "--simulate"],
    ])
    func backwardsWindow(_ command: [String]) async throws {
        let work = try TemporaryFolder("window")
        let file = try work.rawPipeline(source: "start: 0")
        let arguments = command.map { $0 == "PIPELINE" ? file : $0 } + ["--since", "2024-01-05", "--until", "2024-01-03"]
        let run = try await FSExportBinary.run(arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--until 2024-01-03T00:00:00Z is not after --since 2024-01-05T00:00:00Z: no bundle can be in that window"), "\(run.stderr)")
    }

    @Test("events and list with nothing in their window say so on standard error, and print nothing", arguments: ["events", "list"])
    func nothingInWindow(_ command: String) async throws {
        let run = try await FSExportBinary.run([command, "--simulate", "--since", "2030-01-01", "--json"].filter { command == "list" || $0 != "--json" })
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("no finished bundle ends after 2030-01-01T00:00:00Z"), "\(run.stderr)")
    }
}

@Suite("What a run's last line says")
struct SummaryLineTests {
    @Test("A raw-file pipeline counts bundles and bytes, not '0 events'; a folder's bundles are read, not downloaded; nothing new says after what")
    func summaryWords() async throws {
        let work = try TemporaryFolder("summary")
        let archive = try work.rawPipeline("archive.yml", source: "start: 0, settle: 0s, until: 2024-01-03", root: "raw")
        let archived = try await FSExportBinary.run(["run", archive, "--simulate"])
        #expect(archived.status == 0 && archived.stderr.contains("info: 2 bundles, 21.1 KiB downloaded in "), "\(archived.stderr)")
        #expect(!archived.stderr.contains("0 events"))
        let replay = try work.write("replay.yml", "source: {type: directory, path: raw, settle: 0s}\nstages:\n  lines: {type: files, inputs: [source], root: out, format: ndjson, path: \"{id}.ndjson\"}\n")
        let replayed = try await FSExportBinary.run(["run", replay])
        #expect(replayed.status == 0 && replayed.stderr.contains("info: 2 bundles, 400 events, 21.1 KiB read in "), "\(replayed.stderr)")
        let again = try await FSExportBinary.run(["run", archive, "--simulate"])
        #expect(again.stderr.contains("info: nothing new: no finished bundle ends after 2024-01-03T00:00:00Z (the newest delivered is bundle \(SimulatedDataset().bundle(at: 1).id))"), "\(again.stderr)")
        let settling = try work.rawPipeline("settle.yml", source: "start: 0, settle: 24h, until: 2024-01-02", root: "raw")
        #expect(try await FSExportBinary.run(["run", settling, "--simulate", "-q"]).status == 0)
        let settled = try await FSExportBinary.run(["run", settling, "--simulate"])
        #expect(settled.stderr.contains("; a bundle is taken once settle (1d) has passed after its end"), "\(settled.stderr)")
    }
}

@Suite("Failed listings print no table")
struct ListHeaderTests {
    @Test("list prints its table header with the first row: a refused key prints no table, only the error")
    func noHeaderBeforeError() async throws {
        try await withSimulator { simulator in
            let refused = try await FSExportBinary.run(["list", "--base-url", simulator.baseURL], key: "wrong-key")
            #expect(refused.status == 3, "\(refused.stderr)")
            #expect(refused.stdout.isEmpty, "\(refused.stdout)")
            let listed = try await FSExportBinary.run(["list", "--base-url", simulator.baseURL, "--until", "2024-01-02"], key: simulator.configuration.apiKey)
            #expect(listed.stdout.hasPrefix("ID              START                 STOP\n"), "\(listed.stdout)")
        }
    }
}

@Suite("status without a key")
struct StatusWithoutKeyTests {
    @Test("status without a key shows the state file and the lock, and says that --offline does so quietly")
    func localState() async throws {
        let work = try TemporaryFolder("status-key")
        let file = try work.rawPipeline(source: "start: 0, settle: 0s, until: 2024-01-03", root: "out")
        #expect(try await FSExportBinary.run(["run", file, "--simulate", "-q"]).status == 0)
        let status = try await FSExportBinary.run(["status", file], key: nil, environment: ["FULLSTORY_API_KEY": ""])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("checkpoint  bundle 170415360048"), "\(status.stdout)")
        #expect(status.stderr.contains("no API key") && status.stderr.contains("--offline"), "\(status.stderr)")
        // Other commands still need it.
        let list = try await FSExportBinary.run(["list"], key: nil, environment: ["FULLSTORY_API_KEY": ""])
        #expect(list.status == 1 && list.stderr.contains("no API key: set FULLSTORY_API_KEY"), "\(list.stderr)")
    }
}
