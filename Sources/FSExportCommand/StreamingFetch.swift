import Foundation
import FSExportCore
import Synchronization

/// One bundle fetched and printed at once: its events are decoded from the bytes already arrived
/// while the rest arrives (when the source writes them as they come, in gzip), else once it is
/// whole. The decoder checks the gzip stream (CRC-32 and length) as it goes, so the fetch is asked
/// not to inflate it a second time (``FetchPreview/fetchForCheckingReader(_:to:)``). Printed
/// events cannot be taken back, so a bundle found damaged after some were printed fails with a
/// data error that says the output is incomplete; one found damaged before is fetched again, checked.
struct StreamingFetch {
    let source: any BundleSource
    let bundle: ExportBundle
    let destination: String

    /// The file the fetch writes as it goes, when the source has one (``FetchPreview``).
    private var arrivingFile: ArrivingFile? { (source as? any FetchPreview)?.arrivingFile(for: destination) }

    /// Prints the bundle's events; false when the reader went away. Leaves no file behind: the
    /// fetch, a child task of this call, has ended, and its files are removed, whatever happened.
    func print(to output: StandardOutputLines) async throws -> Bool {
        let arriving = Arriving(arrivingFile.map { FileGrowth.Key($0.path) })
        defer {
            for path in [destination] + (arrivingFile.map { [$0.path] } ?? []) { ConfinedRoot.removeIfPresent(path) }
        }
        return try await withThrowingTaskGroup(of: ReaderCheckedFetch.self) { group in
            group.addTask { [source, bundle, destination] in
                defer { arriving.ended() }
                // The decoder checks the gzip stream as it reads: the fetch need not inflate it too.
                guard let preview = source as? any FetchPreview else { return (try await source.fetch(bundle, to: destination, progress: nil), true) }
                return try await preview.fetchForCheckingReader(bundle, to: destination)
            }
            // Printing done (or the reader gone): the fetch has nothing left to do.
            defer { group.cancelAll() }
            var fetched: Result<ReaderCheckedFetch, any Error>?
            func fetch() async -> Result<ReaderCheckedFetch, any Error> {
                if let fetched { return fetched }
                let result = await Result { try await group.next()! }
                fetched = result
                return result
            }
            return try await print(to: output, fetch: fetch, arriving: arriving)
        }
    }

    private func print(
        to output: StandardOutputLines, fetch: () async -> Result<ReaderCheckedFetch, any Error>, arriving: Arriving
    ) async throws -> Bool {
        var printed = 0
        do {
            let decoder: BundleDecoder
            if let partial = try await gzipArriving(arriving) {
                decoder = BundleDecoder(following: partial.path, ndjson: partial.ndjson, arriving: { arriving.isOn }, bundleID: bundle.id)
            } else {  // not gzip, no arriving file, or already whole and renamed
                let file = try await fetch().get().file
                decoder = try BundleDecoder(path: file.path, content: file.content, bundleID: bundle.id)
            }
            guard try await print(decoder, to: output, counting: &printed) else { return false }
            _ = try await fetch().get()  // the fetch's own verdict: verified and whole
            return true
        } catch {
            // The fetch's failure explains a decoder that ran out of data; report it first.
            let fetched = await fetch()
            let cause = fetched.failure ?? error
            guard printed > 0 else {
                // Nothing printed yet: the file is read whole once verified: as the fetch left it,
                // when it checked the gzip stream (and retried its way past damage, or was done and
                // renamed its file before the decoder opened it); else fetched again, checked.
                guard case .success(let done) = fetched, !(error is CancellationError) else { throw cause }
                let file = done.verified ? done.file : try await source.fetch(bundle, to: destination, progress: nil)
                return try await print(BundleDecoder(path: file.path, content: file.content, bundleID: bundle.id), to: output, counting: &printed)
            }
            throw BundleFormatError(
                bundleID: bundle.id, offset: 0,
                message: "\(cause); the output is incomplete: \(printed) events of bundle \(bundle.id) were printed before this was found")
        }
    }

    /// Prints every event the decoder gives; false when the reader went away.
    private func print(_ decoder: BundleDecoder, to output: StandardOutputLines, counting printed: inout Int) async throws -> Bool {
        do {
            try await decoder.decode { batch in
                guard output.write(batch) else { throw ReaderGone() }
                printed += batch.count
            }
            return true
        } catch is ReaderGone {
            return false
        }
    }

    /// The file the fetch writes as bytes arrive, once it shows a gzip header; nil when the
    /// source writes none, the body is not gzip, or the fetch ended first.
    private func gzipArriving(_ arriving: Arriving) async throws -> ArrivingFile? {
        guard let file = arrivingFile, let key = arriving.file else { return nil }
        // The download may start at once (a GET) or after minutes (an export being made): each
        // write, and the fetch's end, wakes this to look again.
        return await FileGrowth.shared.watching(key) {
            while arriving.isOn {
                let version = FileGrowth.shared.version(of: key)
                if let handle = FileHandle(forReadingAtPath: file.path) {
                    defer { try? handle.close() }
                    if let magic = try? handle.read(upToCount: 2), magic.count == 2 {
                        return magic == Data([0x1F, 0x8B]) ? file : nil
                    }
                }
                await FileGrowth.shared.wait(for: key, beyond: version)
                if Task.isCancelled { return nil }
            }
            return nil
        }
    }
}

/// Whether the fetch is still writing, for the decoder that follows its file; its end wakes
/// whoever waits for the file to grow.
private final class Arriving: Sendable {
    let file: FileGrowth.Key?
    private let flag = Atomic<Bool>(true)

    init(_ file: FileGrowth.Key?) { self.file = file }

    var isOn: Bool { flag.load(ordering: .sequentiallyConsistent) }

    func ended() {
        flag.store(false, ordering: .sequentiallyConsistent)
        if let file { FileGrowth.shared.grew(file) }
    }
}

/// The reader of the output went away (a closed pipe): the printing stops, and that is no error.
private struct ReaderGone: Error {}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
