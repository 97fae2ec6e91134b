import AsyncAlgorithms
import Foundation
import Logging
import Synchronization
import Testing

@testable import FSExportCore

/// The engine with an in-memory source and in-memory sinks, in milliseconds: bundles in order,
/// recorded only once every stage has committed, resumed exactly, never recorded when a stage fails.
@Suite("The engine")
struct EngineTests {
    /// Bundles from memory: each one's events written to a gzip file when fetched.
    struct MemorySource: BundleSource {
        let bundles: [ExportBundle]

        func bundles(after start: Int64, until: Int64?) -> any AsyncSequence<ExportBundle, any Error> {
            bundles.filter { $0.stop > start && $0.stop <= (until ?? .max) }.sorted { ($0.stop, $0.id) < ($1.stop, $1.id) }.async
                .map { $0 }  // AsyncSyncSequence never throws; the protocol's sequence may
        }

        func fetch(_ bundle: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
            let file = try OutputFile(path: destination, compression: .gzip)
            try file.write(#"[{"EventType":"click","bundle":\#(bundle.id)},{"EventType":"load"}]"#)
            try file.close()
            return DownloadedBundle(id: bundle.id, path: destination, encoding: .gzip, byteCount: file.byteCount)
        }
    }

    /// Notes each bundle it commits, and fails the bundle named `failing`.
    final class Ledger: Sink, Sendable {
        let committed = Mutex<[Int64]>([])
        let failing: Int64?
        init(failing: Int64? = nil) { self.failing = failing }

        func deliver(_ delivery: Delivery) async throws -> Commit {
            var events = 0
            for try await batch in delivery.input.events { events += batch.count }
            #expect(events == 2)
            if delivery.bundle.id == failing { throw SinkError("bundle \(delivery.bundle.id) fails on purpose") }
            let id = delivery.bundle.id
            return Commit(commit: { self.committed.withLock { $0.append(id) } }, abort: {})
        }
    }

    static func engine(_ source: MemorySource, _ sink: Ledger, folder: String) -> Engine {
        Engine(
            source: source,
            configuration: .init(stages: [Stage(name: "ledger", sink: sink, inputs: [.source])], spoolDirectory: "\(folder)/spool", statePath: "\(folder)/state.json", start: 0),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-engine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let bundles = [ExportBundle(id: 3, start: 0, stop: 300), ExportBundle(id: 1, start: 0, stop: 100), ExportBundle(id: 2, start: 0, stop: 200), ExportBundle(id: 4, start: 0, stop: 300)]

    @Test("Bundles are delivered in (Stop, id) order and the state file records the last, with every id at its Stop")
    func order() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ledger = Ledger()
        let summary = try await Self.engine(MemorySource(bundles: Self.bundles), ledger, folder: folder).runOnce()
        #expect(summary.bundles == [1, 2, 3, 4])
        #expect(ledger.committed.withLock { $0 } == [1, 2, 3, 4])
        let checkpoint = try #require(try CheckpointStore(path: "\(folder)/state.json").load())
        #expect(checkpoint.stop == 300 && checkpoint.deliveredAtStop == [3, 4])
    }

    @Test("A failing bundle is not recorded; the run stops there and the next resumes with it, delivering nothing twice")
    func failureAndResume() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let failing = Ledger(failing: 3)
        await #expect(throws: StageFailure.self) { try await Self.engine(MemorySource(bundles: Self.bundles), failing, folder: folder).runOnce() }
        #expect(failing.committed.withLock { $0 } == [1, 2])
        #expect(try CheckpointStore(path: "\(folder)/state.json").load()?.stop == 200)

        let healthy = Ledger()
        let summary = try await Self.engine(MemorySource(bundles: Self.bundles), healthy, folder: folder).runOnce()
        #expect(summary.bundles == [3, 4])
        #expect(healthy.committed.withLock { $0 } == [3, 4])
        #expect(try await Self.engine(MemorySource(bundles: Self.bundles), Ledger(), folder: folder).runOnce().bundles.isEmpty)
    }

    @Test("A dry run plans exactly what the run then delivers")
    func plannedIsDelivered() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = Self.engine(MemorySource(bundles: Self.bundles), Ledger(failing: 2), folder: folder)
        _ = try? await engine.runOnce()
        let planned = try await Self.engine(MemorySource(bundles: Self.bundles), Ledger(), folder: folder).plannedBundles()
        let delivered = try await Self.engine(MemorySource(bundles: Self.bundles), Ledger(), folder: folder).runOnce().bundles
        #expect(planned.map(\.id) == delivered)
        #expect(delivered == [2, 3, 4])
    }

    /// A ledger that also notes when it was prepared, in the order of events, and can refuse to be.
    final class PreparingLedger: Sink, PreparesRun, Sendable {
        let events = Mutex<[String]>([])
        let refuses: Bool
        init(refuses: Bool = false) { self.refuses = refuses }

        func prepareRun(logger: Logger) async throws {
            events.withLock { $0.append("prepare") }
            if refuses { throw SinkError("the store is unreachable") }
        }

        func deliver(_ delivery: Delivery) async throws -> Commit {
            for try await _ in delivery.input.events {}
            let id = delivery.bundle.id
            return Commit(commit: { self.events.withLock { $0.append("commit \(id)") } }, abort: {})
        }
    }

    @Test("PreparesRun: prepared once a run, before its first delivery; not when there is nothing to deliver; a refusal delivers nothing")
    func preparesRun() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func engine(_ sink: PreparingLedger, _ bundles: [ExportBundle]) -> Engine {
            Engine(
                source: MemorySource(bundles: bundles),
                configuration: .init(stages: [Stage(name: "store", sink: sink, inputs: [.source])], spoolDirectory: "\(folder)/spool", statePath: "\(folder)/state.json", start: 0),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        }
        let refusing = PreparingLedger(refuses: true)
        let error = await #expect(throws: StageFailure.self) { try await engine(refusing, Self.bundles).runOnce() }
        #expect(error?.description == "stage 'store' failed on bundle 1: the store is unreachable")
        #expect(refusing.events.withLock { $0 } == ["prepare"])
        #expect(try CheckpointStore(path: "\(folder)/state.json").load() == nil)

        let ledger = PreparingLedger()
        _ = try await engine(ledger, Self.bundles).runOnce()
        #expect(ledger.events.withLock { $0 } == ["prepare", "commit 1", "commit 2", "commit 3", "commit 4"])
        let idle = PreparingLedger()
        #expect(try await engine(idle, Self.bundles).runOnce().bundles.isEmpty)
        #expect(idle.events.withLock { $0 }.isEmpty)
    }

    @Test("The run's summary counts in words: one bundle, not one bundles")
    func summaryWords() {
        var summary = RunSummary()
        summary.bundles = [7]
        summary.events = 1
        #expect(summary.description.hasPrefix("1 bundle, 1 event, "))
        summary.bundles = [7, 8]
        summary.events = 2
        #expect(summary.description.hasPrefix("2 bundles, 2 events, "))
    }
}
