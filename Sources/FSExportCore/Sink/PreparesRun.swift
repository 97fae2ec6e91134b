import Logging

/// A sink with something to put right before a run delivers anything: what a killed run left
/// where the engine's staging folder cannot reach, such as an object store's unfinished uploads.
///
/// ```swift
/// struct Bucket: Sink, PreparesRun {
///     func prepareRun(logger: Logger) async throws {
///         for upload in try await store.unfinishedUploads(under: prefix) { try await store.abort(upload) }
///     }
///     func deliver(_ delivery: Delivery) async throws -> Commit { … }
/// }
/// ```
public protocol PreparesRun: Sink {
    /// Called once a run, under the run's lock, before its first bundle is delivered (not in a
    /// run with nothing to deliver, nor in a dry run), one stage at a time. Throwing fails the run
    /// before anything is delivered.
    func prepareRun(logger: Logger) async throws
}
