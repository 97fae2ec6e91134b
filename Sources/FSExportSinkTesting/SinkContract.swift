import Foundation
import FSExportCore
import FSExportSimulatedData
import Logging

/// The contract every sink keeps, as a check a sink's own test runs in one line:
///
/// ```swift
/// @Test func keepsTheContract() async throws {
///     try await SinkContract.verify { context in try CSVSink(options: options, context: context) }
/// }
/// ```
///
/// `make` builds the sink for a context whose folder (``SinkContext/baseDirectory``, where
/// relative paths in its options resolve) is a fresh temporary folder, and the sink runs on a
/// simulated bundle (a ``SampleSource``'s), decoded for real, the way the engine runs it:
/// - **Abort leaves nothing**: when a sibling stage fails, the sink is aborted, and its folder is
///   as it was before.
/// - **Nothing lands outside its folder**: a committed delivery writes below that folder only.
/// - **Commit twice is harmless**: the same bundle delivered and committed again (as after a
///   crash before the state file was written) succeeds and leaves the same files, byte for byte.
///
/// Every failed promise is reported at once, in the thrown ``Violations``.
public enum SinkContract {
    /// The promises the sink did not keep.
    public struct Violations: Error, CustomStringConvertible {
        public var failures: [String]
        public var description: String { "the sink breaks its contract:\n- " + failures.joined(separator: "\n- ") }
    }

    public static func verify(
        eventsPerBundle: Int = 50, _ make: @Sendable (SinkContext) throws -> any Sink
    ) async throws {
        let failures = try await TemporaryFolder("contract").withPath { work in
            let folder = "\(work)/sink"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let context = SinkContext(stage: "sink", baseDirectory: folder, readsSource: true, hasDownstream: true)
            let source = SampleSource(SimulatedDataset(bundleCount: 1, eventsPerBundle: eventsPerBundle))
            var listing = source.bundles(after: 0, until: nil).makeAsyncIterator()
            guard let bundle = try await listing.next() else { throw SinkError("the sample source listed no bundle") }
            let file = try await source.fetch(bundle, to: SpoolLayout.bundlePath(bundle.id, in: work), progress: nil)
            return try await check(make(context), bundle: BundleContext(bundle, file: file), work: work, folder: folder)
        }
        if !failures.isEmpty { throw Violations(failures: failures) }
    }

    private static func check(_ sink: any Sink, bundle: BundleContext, work: String, folder: String) async throws -> [String] {
        var failures: [String] = []
        let logger = Logger(label: "fsexport.contract")
        let before = try tree(work)

        // A sibling that fails makes the engine abort every stage.
        let failing = BundleDelivery(
            stages: [Stage(name: "sink", sink: sink, inputs: [.source]), Stage(name: "capture", sink: CapturingSink(), inputs: [.stage("sink")]),
                     Stage(name: "sibling", sink: FailingSink(), inputs: [.source])],
            stagingRoot: try ConfinedRoot(work).folder(SpoolLayout.staging), logger: logger)
        _ = try? await failing.deliver(bundle)
        let changed = difference(before, try tree(work))
        if !changed.isEmpty { failures.append("after abort, these changed: \(changed.prefix(5).joined(separator: ", "))") }

        let delivery = BundleDelivery(
            stages: [Stage(name: "sink", sink: sink, inputs: [.source]), Stage(name: "capture", sink: CapturingSink(), inputs: [.stage("sink")])],
            stagingRoot: try ConfinedRoot(work).folder(SpoolLayout.staging), logger: logger)
        do {
            _ = try await delivery.deliver(bundle)
        } catch {
            return failures + ["delivering and committing a bundle failed: \(error)"]
        }
        let committed = try tree(work)
        let outside = difference(before, committed).filter { !$0.hasPrefix("sink/") }
        if !outside.isEmpty { failures.append("a commit wrote outside the sink's folder: \(outside.prefix(5).joined(separator: ", "))") }

        do {
            _ = try await delivery.deliver(bundle)
            let again = difference(committed, try tree(work))
            if !again.isEmpty { failures.append("committing the same bundle again changed: \(again.prefix(5).joined(separator: ", "))") }
        } catch {
            failures.append("committing the same bundle again failed: \(error)")
        }
        return failures
    }

    /// Every file below `root` but the engine's staging folder and the downloaded bundle.
    private static func tree(_ root: String) throws -> [String: Data] {
        try TemporaryFolder.files(below: root) { $0.hasPrefix(SpoolLayout.staging) || $0.hasSuffix(SpoolLayout.bundleSuffix) }
    }

    /// The files added, removed or changed from `old` to `new`.
    private static func difference(_ old: [String: Data], _ new: [String: Data]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }
}

/// A stage that reads the whole bundle, then fails: the engine aborts every other stage.
private struct FailingSink: Sink {
    func deliver(_ delivery: Delivery) async throws -> Commit {
        for try await _ in delivery.input.events {}
        throw SinkError("a sibling stage failed on purpose (SinkContract)")
    }
}
