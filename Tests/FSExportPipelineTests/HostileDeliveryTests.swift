import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportTestSupport
import Testing

/// What hostile data, servers and files used to break: each case delivers exactly once,
/// completely, inside its roots, or fails loudly having committed nothing.
@Suite("Hostile deliveries", .serialized)
struct HostileDeliveryTests {
    static let day: Int64 = 1_704_067_200

    /// A bundle whose events carry `values` in EventTargetText (nil: the field is missing).
    static func bundle(id: Int64 = 170_406_720_048, stop: Int64 = day + 86_400, values: [String?]) throws -> ScriptedBundle {
        let events = try values.enumerated().map { index, value in
            guard let value else { return #"{"EventType":"click","n":\#(index)}"# }
            let encoded = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
            return #"{"EventType":"click","EventTargetText":\#(encoded),"n":\#(index)}"#
        }
        return ScriptedBundle(id: id, start: stop - 86_400, stop: stop, events: events)
    }

    static func lines(of files: [String: Data]) -> [String] {
        files.values.flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) }.sorted()
    }

    /// Whether `lines` are exactly `events`, as multisets; a short account of the difference when not.
    static func difference(_ lines: [String], _ events: [String]) -> String? {
        var count: [String: Int] = [:]
        for line in lines { count[line, default: 0] += 1 }
        for event in events { count[event, default: 0] -= 1 }
        let extra = count.values.filter { $0 > 0 }.reduce(0, +), missing = -count.values.filter { $0 < 0 }.reduce(0, +)
        return extra == 0 && missing == 0 ? nil : "\(missing) events missing, \(extra) lines extra or repeated (of \(events.count))"
    }

    @Test(
        "Split values that clean to one name lose and duplicate nothing, behind files, tar and command stages",
        arguments: ["files", "tar", "command"])
    func collidingSplitValues(_ downstream: String) async throws {
        let values: [String?] = ["Buy now", "Buy\nnow", "Buy\u{00A0}now", "Buy/now", "Buy_now", nil, "", ".", "..",
                                 String(repeating: "x", count: 150) + "1", String(repeating: "x", count: 150) + "2"]
            + HostileValues.strings(count: 300, seed: 11)
        let bundle = try Self.bundle(values: values + values)  // each value twice, so parts hold several lines
        let server = try ScriptedExportAPI.server([bundle])
        let workspace = try TemporaryFolder("pipeline")
        let stage: String
        switch downstream {
        case "files": stage = "  out: {type: files, inputs: [split], path: \"parts/{name}\"}"
        case "tar": stage = "  tar: {type: tar, inputs: [split]}\n  out: {type: files, inputs: [tar], path: \"parts/{name}\"}"
        default: stage = "  out: {type: command, inputs: [split], shell: 'cat >> \"$OUT/parts.ndjson\"', environment: {OUT: \(workspace.path)}}"
        }
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              split: {type: ndjson, inputs: [source], split_by: EventTargetText, max_lines: 3}
            \(stage)
            """)
        try await runPipeline(file, server: server)
        var written = try workspace.tree().filter { $0.key.hasPrefix("parts") }
        if downstream == "tar" {
            let archive = try #require(written.keys.first { $0.hasSuffix(".tar") })
            written = ["all": try await Programs.shell("tar -xOf \(archive)", directory: workspace.path).stdoutData]
        }
        // A value's lines fill its parts 3 at a time (a missing field and an empty one are both the
        // empty value): a value met again after its part was closed gets that part back.
        let parts = Dictionary(grouping: values + values) { $0 ?? "" }.values.reduce(0) { $0 + ($1.count + 2) / 3 }
        if downstream == "files" { #expect(written.count == parts, "\(written.count) parts") }
        if let difference = Self.difference(Self.lines(of: written), bundle.events) { Issue.record("\(difference)") }
    }

    @Test("One value composed two ways (é, or e and a combining accent) lands in one part named after its composed form, whichever comes first", arguments: [true, false])
    func normalizedNames(_ composedFirst: Bool) async throws {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let bundle = try Self.bundle(values: composedFirst ? [composed, decomposed, "x"] : [decomposed, composed, "x"])
        let server = try ScriptedExportAPI.server([bundle])
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              split: {type: ndjson, inputs: [source], split_by: EventTargetText}
              out: {type: files, inputs: [split], path: "parts/{name}"}
            """)
        try await runPipeline(file, server: server)
        let parts = try workspace.tree().filter { $0.key.hasPrefix("parts/") }
        #expect(parts.keys.sorted().map { Array($0.utf8) } == ["parts/caf\u{E9}/170406720048-0001.ndjson", "parts/x/170406720048-0001.ndjson"].map { Array($0.utf8) })
        // The events keep their own bytes.
        #expect(Self.lines(of: parts).filter { !$0.contains(#""x""#) }.count == 2)
    }

    @Test("A bundle that fails leaves no empty folders where its files were to go, and keeps the folders that were there")
    func noEmptyFolders() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/out/raw/kept", withIntermediateDirectories: true)
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              raw: {type: files, inputs: [source], root: out, path: "raw/{start:%Y/%m/%d}/{id}.json.gz"}
              failing: {type: command, inputs: [source], shell: 'cat >/dev/null; exit 3'}
            """)
        let server = try ScriptedExportAPI.server([try Self.bundle(values: ["a", "b"])])
        await #expect(throws: (any Error).self) { try await runPipeline(file, server: server) }
        let folders = try FileManager.default.subpathsOfDirectory(atPath: "\(workspace.path)/out").sorted()
        #expect(folders == ["raw", "raw/kept"])
    }

    @Test("Every split value's lines land in one series of parts, the same name in every bundle")
    func sameValueSameName() async throws {
        let first = try Self.bundle(id: 100, stop: Self.day + 100, values: ["Buy now", "Buy/now"])
        let second = try Self.bundle(id: 200, stop: Self.day + 200, values: ["Buy/now", "Buy now"])
        let server = try ScriptedExportAPI.server([first, second])
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              split: {type: ndjson, inputs: [source], split_by: EventTargetText, name: "{value}/{id}-{part}.ndjson"}
              out: {type: files, inputs: [split], path: "{name}"}
            """)
        try await runPipeline(file, server: server)
        let folders = Set(try workspace.tree().keys.filter { $0.hasSuffix(".ndjson") }.map { $0.split(separator: "/")[0] })
        #expect(folders == [Substring(PathTemplate.splitValueName("Buy now")), Substring(PathTemplate.splitValueName("Buy/now"))])
    }

    @Test("A symbolic link where a files stage stages (out/.fsexport-tmp) fails the bundle and touches nothing it points at")
    func stagingLink() async throws {
        let bundle = try Self.bundle(values: ["a"])
        let server = try ScriptedExportAPI.server([bundle])
        let workspace = try TemporaryFolder("pipeline"), outside = try TemporaryFolder("pipeline")
        try FileManager.default.createDirectory(atPath: "\(outside.path)/raw/\(bundle.id)", withIntermediateDirectories: true)
        try "precious".write(toFile: "\(outside.path)/raw/\(bundle.id)/0", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/out", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(workspace.path)/out/.fsexport-tmp", withDestinationPath: outside.path)
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], root: out, path: \"{id}.json.gz\"}\n")
        do {
            try await runPipeline(file, server: server)
            Issue.record("the run went through a planted link")
        } catch {
            #expect("\(error)".contains("symbolic link"), "\(error)")
        }
        #expect(try outside.tree(excluding: []) == ["raw/\(bundle.id)/0": Data("precious".utf8)])
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/out/\(bundle.id).json.gz"))
    }

    @Test("A symbolic link where the engine stages (spool/staging) fails the run and touches nothing it points at")
    func spoolLink() async throws {
        let bundle = try Self.bundle(values: ["a"])
        let server = try ScriptedExportAPI.server([bundle])
        let workspace = try TemporaryFolder("pipeline"), outside = try TemporaryFolder("pipeline")
        try FileManager.default.createDirectory(atPath: "\(outside.path)/\(bundle.id)", withIntermediateDirectories: true)
        try "precious".write(toFile: "\(outside.path)/\(bundle.id)/keep", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/.fsexport/p/spool", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(workspace.path)/.fsexport/p/spool/staging", withDestinationPath: outside.path)
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        await #expect(throws: FileSystemError.self) { try await runPipeline(file, server: server) }
        #expect(try outside.tree(excluding: []) == ["\(bundle.id)/keep": Data("precious".utf8)])
    }

    @Test("Nineteen bundles that share one Stop (a page holds 20): a run that stops after six resumes with the other thirteen")
    func sharedStop() async throws {
        let stop = Self.day + 86_400
        let bundles = try (1...19).map { try Self.bundle(id: Int64(100 + $0), stop: stop, values: ["v\($0)"]) }
        let server = try ScriptedExportAPI.server(bundles)
        let workspace = try TemporaryFolder("pipeline")
        let marker = "\(workspace.path)/fail-107"
        #expect(FileManager.default.createFile(atPath: marker, contents: nil))
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              raw: {type: files, inputs: [source], path: "raw/{id}.json.gz"}
              gate: {type: command, inputs: [source], shell: 'cat > /dev/null; test "$FSEXPORT_BUNDLE_ID" != 107 || test ! -e \(marker)'}
            """)
        await #expect(throws: StageFailure.self) { try await runPipeline(file, server: server) }
        #expect(try workspace.tree().keys.filter { $0.hasPrefix("raw/") }.count == 6)
        try FileManager.default.removeItem(atPath: marker)
        let summary = try await runPipeline(file, server: server)
        #expect(summary.bundles == (107...119).map(Int64.init))
        #expect(Set(try workspace.tree().keys.filter { $0.hasPrefix("raw/") }) == Set((101...119).map { "raw/\($0).json.gz" }))
        let again = try await runPipeline(file, server: server)
        #expect(again.bundles.isEmpty)
    }

    @Test("A page that ends inside a Stop: 19 bundles at one Stop and 6 at the next are all delivered, once")
    func pageEndsInsideAStop() async throws {
        let bundles = try (1...19).map { try Self.bundle(id: Int64(100 + $0), stop: Self.day + 86_400, values: ["a\($0)"]) }
            + (1...6).map { try Self.bundle(id: Int64(200 + $0), stop: Self.day + 2 * 86_400, values: ["b\($0)"]) }
        let server = try ScriptedExportAPI.server(bundles)
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], path: \"raw/{id}.json.gz\"}\n")
        #expect(try await runPipeline(file, server: server).bundles == bundles.map(\.id))
        #expect(try workspace.tree().keys.filter { $0.hasPrefix("raw/") }.count == 25)
        #expect(try await runPipeline(file, server: server).bundles.isEmpty)
    }

    @Test("A LIST that ignores start fails the run as a data error, and no bundle is delivered twice")
    func listIgnoringStart() async throws {
        let bundles = [try Self.bundle(id: 100, stop: Self.day + 100, values: ["a"]), try Self.bundle(id: 200, stop: Self.day + 200, values: ["b"])]
        let server = try ScriptedExportAPI.server(bundles) { _, all in .json(ScriptedExportAPI.listBody(all)) }
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              log: {type: command, inputs: [source], shell: 'cat > /dev/null; echo $FSEXPORT_BUNDLE_ID >> \(workspace.path)/log'}
            """)
        do {
            try await runPipeline(file, server: server)
            Issue.record("a LIST that ignores start was followed")
        } catch let error as ExportError {
            guard case .invalidResponse = error else { Issue.record("\(error)"); return }
        }
        let log = try String(contentsOfFile: "\(workspace.path)/log", encoding: .utf8).split(separator: "\n")
        #expect(log.count == Set(log).count, "delivered twice: \(log)")
    }

    @Test("Re-exporting a window (--since) leaves the state file as it was")
    func sinceLeavesCheckpoint() async throws {
        let bundles = try (1...3).map { try Self.bundle(id: Int64(100 * $0), stop: Self.day + Int64(100 * $0), values: ["v"]) }
        let server = try ScriptedExportAPI.server(bundles)
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        try await runPipeline(file, server: server)
        let state = try workspace.bytes(".fsexport/p/state.json")
        let window = try await runPipeline(file, server: server, since: 0, until: Self.day + 200)
        #expect(window.bundles == [100, 200])
        #expect(try workspace.bytes(".fsexport/p/state.json") == state)
        #expect(try await runPipeline(file, server: server).bundles.isEmpty)
    }

    @Test("A --since window that leaves a gap after the state file does not move it; one that starts inside it carries it forward")
    func sinceWindows() async throws {
        let bundles = try (1...3).map { try Self.bundle(id: Int64(100 * $0), stop: Self.day + Int64(100 * $0), values: ["v"]) }
        let server = try ScriptedExportAPI.server(bundles)
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        #expect(try await runPipeline(file, server: server, until: Self.day + 100).bundles == [100])
        let state = try workspace.bytes(".fsexport/p/state.json")
        // From after 200's Stop: 200 would be skipped for good if the state file followed.
        #expect(try await runPipeline(file, server: server, since: Self.day + 200).bundles == [300])
        #expect(try workspace.bytes(".fsexport/p/state.json") == state)
        // From the start: contiguous with what was delivered, so the state file moves on with it.
        #expect(try await runPipeline(file, server: server, since: 0).bundles == [100, 200, 300])
        #expect(try await runPipeline(file, server: server).bundles.isEmpty)
    }

    @Test("The key never reaches a program, whatever variable holds it")
    func keyScrubbed() async throws {
        let key = "scrub-me-\(UUID().uuidString)"
        let server = try ScriptedExportAPI.server([try Self.bundle(values: ["a"])])
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s, api_key: "${MY_FS_KEY}"}
            stages:
              env:
                type: command
                inputs: [source]
                shell: 'cat > /dev/null; env > \(workspace.path)/env.txt'
                environment: {COPY: "${MY_FS_KEY}", HEADER: "Basic ${MY_FS_KEY}", PLAIN: visible}
            """)
        try await runPipeline(file, server: server, key: nil, environment: ["MY_FS_KEY": key])
        let environment = try String(contentsOfFile: "\(workspace.path)/env.txt", encoding: .utf8)
        #expect(environment.contains("PLAIN=visible"))
        #expect(!environment.contains(key))
    }
}

@Suite("Local I/O errors")
struct LocalIOErrorTests {
    @Test("A spool folder deleted in the middle of a run: every error names what it did and the path")
    func spoolDeleted() async throws {
        let bundles = try (1...3).map { try HostileDeliveryTests.bundle(id: Int64(100 * $0), stop: HostileDeliveryTests.day + Int64(100 * $0), values: ["v"]) }
        let server = try ScriptedExportAPI.server(bundles)
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              raw: {type: files, inputs: [source], path: "raw/{id}.json.gz"}
              vandal: {type: command, inputs: [source], shell: 'cat > /dev/null; rm -rf \(workspace.path)/.fsexport/p/spool'}
            """)
        do {
            let summary = try await runPipeline(file, server: server)
            #expect(summary.bundles == [100, 200, 300])
        } catch {
            #expect("\(error)".contains(workspace.path), "an error without its subject: \(error)")
        }
    }

    @Test("A file where a folder should be: the error names the operation and the path")
    func fileInTheWay() async throws {
        let server = try ScriptedExportAPI.server([try HostileDeliveryTests.bundle(values: ["v"])])
        let workspace = try TemporaryFolder("pipeline")
        _ = try workspace.write("blocker", "a file")
        for source in ["spool: blocker/spool", "state: blocker/state.json"] {
            let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s, \(source)}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
            do {
                try await runPipeline(file, server: server)
                Issue.record("ran with \(source)")
            } catch {
                #expect("\(error)".contains("\(workspace.path)/blocker"), "\(error)")
                #expect("\(error)".contains("cannot "), "\(error)")
            }
        }
    }
}
