import Foundation
import FSExportTestSupport
import Testing

@Suite("Options every command shares")
struct SharedOptionsTests {
    @Test("-q and -v are accepted by every subcommand that logs; validate -q prints errors only")
    func quietAndVerboseEverywhere() async throws {
        let work = try TemporaryFolder("quiet")
        let file = try work.write("p.yml", "source: {start: 0, settle: 0s, until: 2024-01-02}\nstages:\n  raw: {type: files, inputs: [source], root: out, path: \"{id}.json.gz\"}\n")
        let validate = try await FSExportBinary.run(["validate", "-q", file])
        #expect(validate.status == 0 && validate.stdout.isEmpty && validate.stderr.isEmpty, "\(validate)")
        #expect(try await FSExportBinary.run(["validate", "-v", file]).stdout.contains("ok (1 stages: raw)"))
        let status = try await FSExportBinary.run(["status", "-q", "--offline", file])
        #expect(status.status == 0 && status.stdout.contains("checkpoint"), "\(status.stderr)")
        let reset = try await FSExportBinary.run(["reset", "-q", file, "--to", "2024-01-01", "--yes"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(try await FSExportBinary.run(["reset", "-q", "-v", file, "--to", "2024-01-01", "--yes"]).status == 64)
    }

    @Test("--interval without --follow is a usage error that says what to do")
    func intervalNeedsFollow() async throws {
        let work = try TemporaryFolder("interval")
        let file = try work.write("p.yml", "source: {start: 0}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        let run = try await FSExportBinary.run(["run", file, "--simulate", "--interval", "5m"])
        #expect(run.status == 64 && run.stderr.contains("--interval is how long --follow waits between runs: add --follow"), "\(run.stderr)")
        #expect(work.listing() == ["p.yml"], "nothing ran")
    }

    @Test("validate - names standard input the same way in its lines and its summary")
    func standardInputNamed() async throws {
        let run = try await FSExportBinary.run(["-c", "printf 'source: {start: 0}\\nstages: {}\\nbogus: 1\\n' | '\(FSExportBinary.url.path)' validate -"], executable: "/bin/bash")
        #expect(run.status == 78)
        #expect(run.stderr.contains("<stdin>:3:1: error: ") && run.stderr.hasSuffix("<stdin>: 2 errors\n"), "\(run.stderr)")
        #expect(!run.stderr.contains("-: "), "\(run.stderr)")
    }

    @Test("--version names the version and the C libraries it runs with")
    func version() async throws {
        let run = try await FSExportBinary.run(["--version"])
        #expect(run.status == 0)
        for part in ["fsexport ", "libcurl/", "zlib/", "libzstd/", "libarchive/", "SQLite/", "libpq/"] {
            #expect(run.stdout.contains(part), "\(part) missing from \(run.stdout)")
        }
    }
}
