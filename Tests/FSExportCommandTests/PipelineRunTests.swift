import Foundation
import Testing
import FSExportTestSupport

/// The repository's root, for the examples and docs the tests run.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

@Suite("Pipelines run from the command line", .serialized)
struct PipelineRunTests {
    static let examples = [
        "raw-archive", "ndjson-by-type", "nightly-tar", "jq-filter", "warehouse-sqlite", "warehouse-postgres", "external-sink", "segments", "nightly-s3",
    ]

    @Test("Every example in examples/ runs against the simulator and produces its output", arguments: examples)
    func example(_ name: String) async throws {
        let out = try TemporaryFolder("out")
        let file = "\(repositoryRoot)/examples/\(name).fsexport.yml"
        let validated = try await FSExportBinary.run(["validate", file], environment: ["FSEXPORT_OUT": out.path])
        #expect(validated.status == 0, "\(validated.stderr)")
        let store = name == "nightly-s3" ? try S3Store() : nil
        let postgres = name == "warehouse-postgres" ? try PostgresServer.shared() : nil
        let database = try postgres?.makeDatabase()
        let warehouse = try postgres.map { ["FSEXPORT_PG": $0.connection(try #require(database))].merging(PostgresServer.environment) { $1 } } ?? [:]
        let run = try await FSExportBinary.run(
            ["run", file, "--simulate", "--until", "2024-01-04"],
            environment: ["FSEXPORT_OUT": out.path].merging(store?.environment ?? [:]) { $1 }.merging(warehouse) { $1 })
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("3 bundles"))
        let files = try out.tree()
        switch name {
        case "raw-archive":
            #expect(files.keys.sorted() == ["raw/2024/01/01/170406720048.json.gz", "raw/2024/01/02/170415360048.json.gz", "raw/2024/01/03/170424000048.json.gz"])
        case "ndjson-by-type":
            #expect(files.keys.contains("events/2024-01-02/click/170415360048-0001.ndjson.gz"))
            #expect(files.keys.allSatisfy { $0.hasSuffix(".ndjson.gz") })
        case "nightly-tar":
            #expect(files.keys.sorted() == ["nightly/2024-01-01-170406720048.tar.gz", "nightly/2024-01-02-170415360048.tar.gz", "nightly/2024-01-03-170424000048.tar.gz"])
            let lines = try await Programs.shell("tar -xzOf '\(out)/nightly/2024-01-01-170406720048.tar.gz' | wc -l").stdout
            #expect(Int(lines.trimmingCharacters(in: .whitespacesAndNewlines)) == 200)
        case "jq-filter":
            #expect(files.keys.sorted() == ["frustrated-clicks/2024-01-01.ndjson", "frustrated-clicks/2024-01-02.ndjson", "frustrated-clicks/2024-01-03.ndjson"])
            #expect(files.values.allSatisfy { String(decoding: $0, as: UTF8.self).split(separator: "\n").allSatisfy { $0.contains("\"UserId\"") } })
        case "warehouse-sqlite":
            let counts = try await Programs.shell("sqlite3 '\(out)/warehouse.db' 'select count(*), count(distinct bundle_id), count(distinct eventtype) from fullstory_events'").stdout
            #expect(counts.trimmingCharacters(in: .whitespacesAndNewlines) == "600|3|8")
        case "warehouse-postgres":
            let counts = try #require(postgres).psql("select count(*), count(distinct bundle_id), count(distinct eventtype) from fullstory_events", database: try #require(database))
            #expect(counts == "600|3|8")
        case "external-sink":
            #expect(files.keys.sorted() == ["counts/170406720048.json", "counts/170415360048.json", "counts/170424000048.json"])
            let document = try #require(files["counts/170406720048.json"])
            let counts = try #require(try JSONSerialization.jsonObject(with: document) as? [String: Any])
            #expect((counts["counts"] as? [String: Int])?.values.reduce(0, +) == 200)
        case "segments":
            #expect(files.keys.contains("segments/2024-01-02/click/1704153600-0001.ndjson.gz"))
            #expect(files.keys.allSatisfy { $0.hasPrefix("segments/2024-01-0") && $0.hasSuffix(".ndjson.gz") })
            let lines = try await Programs.shell("cat '\(out)'/segments/*/*/*.ndjson.gz | gzip -dc | wc -l").stdout
            #expect(Int(lines.trimmingCharacters(in: .whitespacesAndNewlines)) == 600)
        case "nightly-s3":
            let objects = try #require(store).objects()
            #expect(objects.map(\.key) == [
                "fullstory/nightly/2024/01/2024-01-01-170406720048.tar.gz", "fullstory/nightly/2024/01/2024-01-02-170415360048.tar.gz",
                "fullstory/nightly/2024/01/2024-01-03-170424000048.tar.gz",
            ])
            #expect(objects.allSatisfy { $0.storageClass == "STANDARD_IA" && $0.contentType == "application/gzip" })
            let archive = try #require(store).get(objects[0].key)
            try archive.write(to: URL(fileURLWithPath: "\(out)/first.tar.gz"))
            let lines = try await Programs.shell("tar -xzOf '\(out)/first.tar.gz' | wc -l").stdout
            #expect(Int(lines.trimmingCharacters(in: .whitespacesAndNewlines)) == 200)
            #expect(try #require(store).uploads().isEmpty)
        default:
            Issue.record("no check for \(name)")
        }
    }

    @Test("The replay example delivers what the raw-archive example archived, with no API")
    func replayArchive() async throws {
        let out = try TemporaryFolder("out")
        let archive = try await FSExportBinary.run(["run", "\(repositoryRoot)/examples/raw-archive.fsexport.yml", "--simulate", "--until", "2024-01-04"], environment: ["FSEXPORT_OUT": out.path])
        #expect(archive.status == 0, "\(archive.stderr)")
        let file = "\(repositoryRoot)/examples/replay-archive.fsexport.yml"
        #expect(try await FSExportBinary.run(["validate", file], environment: ["FSEXPORT_OUT": out.path]).status == 0)
        let replay = try await FSExportBinary.run(["run", file], environment: ["FSEXPORT_OUT": out.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stderr.contains("3 bundles"))
        let parts = try out.tree().filter { $0.key.hasPrefix("replay/") }
        #expect(parts.keys.contains("replay/2024-01-02/click/170415360048-0001.ndjson"))
        #expect(parts.values.reduce(0) { $0 + String(decoding: $1, as: UTF8.self).split(separator: "\n").count } == 600)

        // list and events read the same source with --from, as their --help shows.
        let listed = try await FSExportBinary.run(["list", "--from", file], environment: ["FSEXPORT_OUT": out.path])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").dropFirst().map { $0.prefix(12) } == ["170406720048", "170415360048", "170424000048"])
        let counted = try await Programs.shell(
            "FSEXPORT_OUT='\(out)' '\(FSExportBinary.url.path)' events --from '\(file)' | jq -r .EventType | sort | uniq -c | awk '{ total += $1 } END { print total }'").stdout
        #expect(counted.trimmingCharacters(in: .whitespacesAndNewlines) == "600")
    }

    @Test("The command lines the replay example and the --from help show run exactly as typed, from the repository")
    func replayCommandsAsTyped() async throws {
        let out = try TemporaryFolder("out")
        let example = try String(contentsOfFile: "\(repositoryRoot)/examples/replay-archive.fsexport.yml", encoding: .utf8)
        var lines = example.split(separator: "\n").filter { $0.hasPrefix("#   fsexport ") }
            .map { $0.dropFirst(4).components(separatedBy: "   #")[0].trimmingCharacters(in: .whitespaces) }
        for command in ["list", "events"] {
            let help = try await FSExportBinary.run([command, "--help"], environment: [:])
            lines += help.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("fsexport ") && $0.contains("--from") }
        }
        try #require(lines.count == 4, "\(lines)")
        #expect(lines.allSatisfy { $0.count <= 76 }, "a --help line wraps: \(lines)")  // help wraps at 80 columns
        var outputs: [String] = []
        for line in lines {
            let result = try await Programs.shell(
                "set -o pipefail; \(line)", directory: repositoryRoot,
                environment: ["FSEXPORT_OUT": out.path, "PATH": "\(FSExportBinary.url.deletingLastPathComponent().path):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"])
            #expect(result.status == 0, "\(line)\n\(result.stderr)")
            outputs.append(result.stdout)
        }
        #expect(outputs[2].split(separator: "\n").count == 46)  // list: a header and the 45 archived bundles
        #expect(outputs[3].trimmingCharacters(in: .whitespacesAndNewlines) == "\(45 * 200)")  // events | wc -l: every event of the archive
    }

    @Test("The segments example's command line runs exactly as typed, from the repository")
    func segmentsCommandAsTyped() async throws {
        let out = try TemporaryFolder("out")
        let example = try String(contentsOfFile: "\(repositoryRoot)/examples/segments.fsexport.yml", encoding: .utf8)
        let lines = example.split(separator: "\n").filter { $0.hasPrefix("#   fsexport ") }.map { String($0.dropFirst(4)) }
        #expect(lines == [
            "fsexport run examples/segments.fsexport.yml --simulate",
            "fsexport events --from examples/segments.fsexport.yml --simulate | wc -l",
        ])
        var results: [(status: Int32, stdout: String, stderr: String)] = []
        for line in lines {
            let result = try await Programs.shell(
                "set -o pipefail; \(line)", directory: repositoryRoot,
                environment: ["FSEXPORT_OUT": out.path, "PATH": "\(FSExportBinary.url.deletingLastPathComponent().path):/usr/bin:/bin"])
            #expect(result.status == 0, "\(line)\n\(result.stderr)")
            results.append((result.status, result.stdout, result.stderr))
        }
        #expect(results.first?.stderr.contains("4 bundles, 800 events") == true)
        // events reads the same windows (the pipeline's start to its until) and prints each event once.
        #expect(results.last?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "800")
        #expect(try out.tree().keys.contains("segments/2024-01-04/click/1704326400-0001.ndjson.gz"))
    }

    @Test("Every pipeline in docs/pipeline.md validates and runs")
    func documentation() async throws {
        let text = try String(contentsOfFile: "\(repositoryRoot)/docs/pipeline.md", encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count >= 4)
        for block in blocks {
            let out = try TemporaryFolder("out")
            let file = "\(out)/pipeline.yml"
            try block.write(toFile: file, atomically: true, encoding: .utf8)
            let store = block.contains("type: s3") ? try S3Store() : nil
            let postgres = block.contains("type: postgres") ? try PostgresServer.shared() : nil
            let database = try postgres?.makeDatabase()
            let warehouse = try postgres.map { ["FSEXPORT_PG": $0.connection(try #require(database))].merging(PostgresServer.environment) { $1 } } ?? [:]
            let run = try await FSExportBinary.run(
                ["run", file, "--simulate", "--until", "2024-01-03"],
                environment: ["FSEXPORT_OUT": out.path].merging(store?.environment ?? [:]) { $1 }.merging(warehouse) { $1 })
            #expect(run.status == 0, "\(block)\n\(run.stderr)")
            if let postgres, let database {
                #expect(try postgres.psql("SELECT count(DISTINCT bundle_id) FROM fullstory_events", database: database) == "2")
            } else if let store {
                #expect(try store.objects().count == 2, "\(block) uploaded other than the 2 bundles")
            } else {
                #expect(try out.tree().count >= 2, "\(block) wrote nothing")
            }
        }
    }

    @Test("validate reports a broken file as file:line:column and exits 78")
    func validateBroken() async throws {
        let out = try TemporaryFolder("out")
        let file = "\(out)/broken.yml"
        try "source: {start: 0}\nstages:\n  raw:\n    type: files\n    inputs: [sorce]\n    path: x\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await FSExportBinary.run(["validate", file], environment: [:])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(file):5:14: error: stage 'raw' reads 'sorce', which is not a stage; did you mean 'source'?"))
        let run = try await FSExportBinary.run(["run", file, "--simulate"], environment: [:])
        #expect(run.status == 78)
    }

    @Test("events prints NDJSON for jq, and stops quietly when the reader goes away")
    func events() async throws {
        let all = try await FSExportBinary.run(["events", "--simulate", "--until", "2024-01-03"], environment: [:])
        #expect(all.status == 0)
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.count == 400)
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        let head = try await Programs.shell("'\(FSExportBinary.url.path)' events --simulate -q | head -n 3; echo \"status ${PIPESTATUS:-0}\"").stdout
        #expect(head.split(separator: "\n").count == 4)
    }

    @Test("--dry-run lists bundles and planned paths, and writes nothing")
    func dryRun() async throws {
        let out = try TemporaryFolder("out")
        let result = try await FSExportBinary.run(["run", "\(repositoryRoot)/examples/raw-archive.fsexport.yml", "--simulate", "--dry-run", "--until", "2024-01-03"], environment: ["FSEXPORT_OUT": out.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("would deliver 2 bundles"))
        #expect(result.stdout.contains("raw/2024/01/02/170415360048.json.gz"))
        #expect(try out.tree().isEmpty)
    }

    @Test("--dry-run names exactly what the run then writes, through every stage (placeholders for what decoding decides)", arguments: examples)
    func dryRunMatchesRun(_ name: String) async throws {
        let out = try TemporaryFolder("out")
        let file = "\(repositoryRoot)/examples/\(name).fsexport.yml"
        // The s3 example plans and writes objects: s3://BUCKET/KEY, read back from a store.
        let store = name == "nightly-s3" ? try S3Store() : nil
        let postgres = name == "warehouse-postgres" ? try PostgresServer.shared() : nil
        let warehouse = try postgres.map { ["FSEXPORT_PG": $0.connection(try $0.makeDatabase())].merging(PostgresServer.environment) { $1 } } ?? [:]
        let environment = ["FSEXPORT_OUT": out.path].merging(store?.environment ?? [:]) { $1 }.merging(warehouse) { $1 }
        let root = store.map { "s3://\($0.bucket)" } ?? out.path
        let plan = try await FSExportBinary.run(["run", file, "--simulate", "--dry-run", "--until", "2024-01-03"], environment: environment)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(try out.tree().isEmpty)
        #expect(try store?.objects().isEmpty ?? true)
        // The planned paths below the output folder, as patterns: {value} and {part} stand for what decoding decides.
        var planned: [String] = []
        for line in plan.stdout.split(separator: "\n") {
            guard let range = line.range(of: ": ") else { continue }
            for path in line[range.upperBound...].components(separatedBy: ", ") where path.hasPrefix(root + "/") {
                planned.append(String(path.dropFirst(root.count + 1)))
            }
        }
        let run = try await FSExportBinary.run(["run", file, "--simulate", "--until", "2024-01-03"], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let written = try store?.objects().map(\.key) ?? Array(out.tree().keys)
        func matches(_ path: String, _ pattern: String) -> Bool {
            let regex = "^" + NSRegularExpression.escapedPattern(for: pattern)
                .replacingOccurrences(of: "\\{value\\}", with: "[^/]+").replacingOccurrences(of: "\\{part\\}", with: "[0-9]{4}") + "$"
            return path.range(of: regex, options: .regularExpression) != nil
        }
        if name.hasPrefix("warehouse-") {
            // A database stage plans its table, and loads the bundles planned into it.
            #expect(plan.stdout.contains("warehouse (from source): table fullstory_events in "), "\(plan.stdout)")
            #expect(plan.stdout.contains(name == "warehouse-sqlite" ? "in \(out)/warehouse.db" : "in the PostgreSQL database test_"), "\(plan.stdout)")
            #expect(run.stderr.contains("2 bundles, 400 events"), "\(run.stderr)")
            return
        }
        if name == "external-sink" {
            return  // it writes through a program: nothing below the output folder is named by a stage
        }
        #expect(!planned.isEmpty, "\(plan.stdout)")
        for path in written { #expect(planned.contains { matches(path, $0) }, "\(path) was written but not planned: \(planned)") }
        for pattern in planned { #expect(written.contains { matches($0, pattern) }, "\(pattern) was planned but not written: \(written.sorted())") }
    }
}

