import Foundation
import Logging
import Synchronization
import Testing

@testable import FSExportCore

/// The commit contract (see ``Commit``), held with in-memory sinks: all deliver, then all commit in
/// pipeline order; any failure aborts every stage that has not committed, the failed one included.
@Suite("The commit contract")
struct CommitContractTests {
    /// What the sinks did, in order.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
        func filter(_ prefix: String) -> [String] { all.filter { $0.hasPrefix(prefix) } }
    }

    struct RecordingSink: Sink {
        let name: String
        let journal: Journal
        var failDeliver = false
        var failCommit = false
        var publishes = false
        var readsFiles = false

        var reads: SinkReads { readsFiles ? .files : .events }

        func deliver(_ delivery: Delivery) async throws -> Commit {
            if readsFiles {
                for try await _ in delivery.input.files {}
            } else {
                for try await _ in delivery.input.events {}
            }
            journal.add("deliver \(name) \(delivery.logger[metadataKey: "stage"].map { "\($0)" } ?? "-")")
            if failDeliver { throw SinkError("\(name) cannot deliver") }
            if publishes {
                let file = try delivery.output.makeFile(named: "\(name).txt")
                try file.write("x")
                try await delivery.output.publish(file)
            }
            let (name, journal, failCommit) = (name, journal, failCommit)
            return Commit(
                commit: {
                    journal.add("commit \(name)")
                    if failCommit { throw SinkError("\(name) cannot commit") }
                },
                abort: { journal.add("abort \(name)") })
        }
    }

    /// A logger that keeps metadata (the no-op handler drops it) and prints nothing.
    static var silentLogger: Logger {
        var logger = Logger(label: "test") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical
        return logger
    }

    /// Delivers one small bundle through `a` and `b` (reading the source) and `c` (reading `a`).
    static func deliver(_ configure: (inout RecordingSink, inout RecordingSink, inout RecordingSink) -> Void) async -> (Journal, (any Error)?) {
        let journal = Journal()
        var a = RecordingSink(name: "a", journal: journal, publishes: true)
        var b = RecordingSink(name: "b", journal: journal)
        var c = RecordingSink(name: "c", journal: journal, readsFiles: true)
        configure(&a, &b, &c)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-contract-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        do {
            let path = try temporaryFile(#"[{"EventType":"click"},{"EventType":"load"}]"#, gzip: true)
            defer { unlink(path) }
            let bundle = BundleContext(id: 1, start: 0, stop: 1, file: Artifact(name: "1.json.gz", path: path, byteCount: 0), encoding: .gzip)
            let delivery = BundleDelivery(
                stages: [Stage(name: "c", sink: c, inputs: [.stage("a")]), Stage(name: "a", sink: a, inputs: [.source]), Stage(name: "b", sink: b, inputs: [.source])],
                stagingRoot: try ConfinedRoot(root).folder("staging"), logger: Self.silentLogger)
            _ = try await delivery.deliver(bundle)
            return (journal, nil)
        } catch {
            return (journal, error)
        }
    }

    @Test("Every stage delivers, then all commit in pipeline order (a stage after those it reads); none aborts")
    func allCommit() async throws {
        let (journal, error) = await Self.deliver { _, _, _ in }
        #expect(error == nil)
        #expect(Set(journal.filter("deliver")) == ["deliver a a", "deliver b b", "deliver c c"])  // the logger names the stage
        let commits = journal.filter("commit")
        #expect(Set(commits) == ["commit a", "commit b", "commit c"])
        let commitA = try #require(commits.firstIndex(of: "commit a")), commitC = try #require(commits.firstIndex(of: "commit c"))
        #expect(commitA < commitC)
        #expect(journal.filter("abort").isEmpty)
        let lastDelivery = try #require(journal.all.lastIndex { $0.hasPrefix("deliver") })
        let firstCommit = try #require(journal.all.firstIndex { $0.hasPrefix("commit") })
        #expect(lastDelivery < firstCommit)
    }

    @Test("A stage that fails to deliver: every other stage aborts, none commits")
    func deliverFails() async {
        let (journal, error) = await Self.deliver { _, b, _ in b.failDeliver = true }
        #expect(error is StageFailure)
        #expect(journal.filter("commit").isEmpty)
        #expect(Set(journal.filter("abort")) == ["abort a", "abort c"])
    }

    @Test("A failed commit: that stage and every stage not yet committed abort; those committed stay committed")
    func commitFails() async {
        let (journal, error) = await Self.deliver { _, _, c in c.failCommit = true }
        #expect(error is StageFailure)
        #expect(Set(journal.filter("commit")) == ["commit a", "commit b", "commit c"])
        #expect(journal.filter("abort") == ["abort c"])

        let (first, firstError) = await Self.deliver { a, _, _ in a.failCommit = true }
        #expect(firstError is StageFailure)
        #expect(!first.all.contains("commit c"))  // c reads a: it commits after a, so never here
        #expect(first.all.contains("abort a") && first.all.contains("abort c"))
        // b is either committed before a (and stays so) or not committed (and aborted), never both.
        #expect(first.all.contains("commit b") != first.all.contains("abort b"))
    }
}
