import Foundation
import Logging
import Synchronization
import Testing

@testable import FSExportCore

/// Artifacts say what they hold: a stage reading events gets the events of a bundle or NDJSON file,
/// and a clear error for a file that holds none.
@Suite("Artifact contents")
struct ArtifactContentTests {
    /// Publishes one file named `name` holding two NDJSON events.
    struct Publisher: Sink {
        let name: String
        func deliver(_ delivery: Delivery) async throws -> Commit {
            for try await _ in delivery.input.events {}
            let file = try delivery.output.makeFile(named: name)
            try file.write("{\"a\":1}\n{\"a\":2}\n")
            try await delivery.output.publish(file)
            return .nothing
        }
    }

    /// Counts the events it reads from its inputs.
    final class Counter: Sink, Sendable {
        let count = Mutex(0)
        func deliver(_ delivery: Delivery) async throws -> Commit {
            for try await batch in delivery.input.events { count.withLock { $0 += batch.count } }
            return .nothing
        }
    }

    /// Delivers a bundle of one event through `stages`, in a staging folder of its own.
    static func deliver(through stages: [Stage]) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-content-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = try temporaryFile(#"[{"EventType":"click"}]"#, gzip: true)
        defer { unlink(path) }
        let bundle = BundleContext(id: 1, start: 0, stop: 1, file: DownloadedBundle(id: 1, path: path, encoding: .gzip, byteCount: 0).artifact, encoding: .gzip)
        let delivery = BundleDelivery(
            stages: stages, stagingRoot: try ConfinedRoot(root).folder("staging"), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        _ = try await delivery.deliver(bundle)
    }

    static func run(publishing name: String) async throws -> Int {
        let counter = Counter()
        try await deliver(through: [
            Stage(name: "publisher", sink: Publisher(name: name), inputs: [.source]), Stage(name: "counter", sink: counter, inputs: [.stage("publisher")]),
        ])
        return counter.count.withLock { $0 }
    }

    @Test("Events are read from an upstream NDJSON file")
    func ndjson() async throws {
        #expect(try await Self.run(publishing: "part.ndjson") == 2)
    }

    @Test("Events asked of a file that holds none: a stage error that says so, not a damaged bundle")
    func opaque() async throws {
        do {
            _ = try await Self.run(publishing: "archive.tar")
            Issue.record("events were read from an archive")
        } catch let failure as StageFailure {
            #expect(failure.underlying is SinkError)
            #expect("\(failure)".contains("holds no events"), "\(failure)")
        }
    }

    /// Iterates its input's events though its sink says it reads files.
    struct Confused: Sink {
        var reads: SinkReads { .files }
        func deliver(_ delivery: Delivery) async throws -> Commit {
            for try await _ in delivery.input.events {}
            return .nothing
        }
    }

    @Test("A file's events are decoded once for every stage that reads them; a sink that says it reads files gets the file, not its events")
    func severalReaders() async throws {
        let first = Counter()
        let second = Counter()
        let publisher = Stage(name: "publisher", sink: Publisher(name: "part.ndjson"), inputs: [.source])
        try await Self.deliver(through: [
            publisher, Stage(name: "first", sink: first, inputs: [.stage("publisher")]), Stage(name: "second", sink: second, inputs: [.stage("publisher")]),
        ])
        #expect(first.count.withLock { $0 } == 2)
        #expect(second.count.withLock { $0 } == 2)
        do {
            try await Self.deliver(through: [publisher, Stage(name: "confused", sink: Confused(), inputs: [.stage("publisher")])])
            Issue.record("a stage that reads files was given events")
        } catch let failure as StageFailure {
            #expect(failure.stage == "confused")
            #expect("\(failure)".contains("reads: .files") && "\(failure)".contains("'part.ndjson'"), "\(failure)")
        }
    }

    /// Records which field each batch it reads has noted.
    final class FieldSpy: Sink, ReadsField, Sendable {
        let fieldRead: String?
        let noted = Mutex<[String?]>([])
        init(field: String) { fieldRead = field }
        func deliver(_ delivery: Delivery) async throws -> Commit {
            for try await batch in delivery.input.events { noted.withLock { $0.append(batch.fieldIndex?.field) } }
            return .nothing
        }
    }

    @Test("A stage that reads a field gets it noted in the batches it reads, from the bundle and from upstream files")
    func notedField() async throws {
        let fromSource = FieldSpy(field: "EventType")
        let fromFile = FieldSpy(field: "a")
        try await Self.deliver(through: [
            Stage(name: "spy", sink: fromSource, inputs: [.source]), Stage(name: "publisher", sink: Publisher(name: "part.ndjson"), inputs: [.source]),
            Stage(name: "downstream", sink: fromFile, inputs: [.stage("publisher")]),
        ])
        #expect(fromSource.noted.withLock { $0 } == ["EventType"])
        #expect(fromFile.noted.withLock { $0 } == ["a"])
    }

    @Test("The bundle file says it is a bundle; names say what else holds NDJSON")
    func contents() {
        #expect(DownloadedBundle(id: 7, path: "/x", encoding: .json, byteCount: 0).artifact.content == .bundle(.json))
        #expect(Artifact(name: "a/b.ndjson.gz", path: "/x", byteCount: 0).content == .ndjson(gzip: true))
        #expect(Artifact(name: "7.json.gz", path: "/x", byteCount: 0).content == .opaque)
    }
}
