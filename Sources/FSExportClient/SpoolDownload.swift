import Foundation
import FSExportCore
import FSExportHTTP
import Logging
import SystemPackage

/// Downloads one body to `destination`, atomically: the bytes go to `destination.part`, and only a
/// verified, complete body is renamed into place. A broken-off transfer resumes with an HTTP Range
/// request where the server honours one; a corrupt one starts over. Memory does not depend on the
/// body's size. The legacy GET and a segment export's storage download both run through this.
struct SpoolDownload {
    /// The bundle the body belongs to (for messages and the result).
    let id: Int64
    let destination: String
    let retrying: Retrying
    /// How retries name the call in the log: `GET id=…`.
    let operation: String
    var sync = false
    /// How far the body is checked before it is called whole: its gzip stream, unless a reader
    /// following the file checks that itself.
    var checking = BundleVerifier.Depth.gzipStream
    var progress: (@Sendable (TransferProgress) -> Void)?
    /// The request for the bytes from `offset` on.
    let request: (_ offset: Int64) -> HTTPRequest
    /// What a non-2xx answer means.
    let failure: (_ status: Int, _ headers: HeaderFields, _ body: String, _ url: String) -> any Error


    func run() async throws -> (encoding: BodyEncoding, byteCount: Int64) {
        // The spool folder is the root; the partial and the whole file are names in it, reached
        // without following a link.
        let (spool, name) = ConfinedRoot.holding(destination)
        let part = SpoolFile(root: spool, name: ConfinedRoot.holding(SpoolLayout.partPath(for: destination)).name)
        var resumable = true  // a .part left by an earlier run is worth a Range request
        var corruptCount = 0
        func discardCorrupt(_ detail: String) throws -> Never {
            part.remove()
            resumable = false
            corruptCount += 1
            if corruptCount >= retrying.policy.maxCorruptDownloads {
                throw ExportError.corruptBundle(id: id, detail: "\(detail) (\(corruptCount) downloads in a row were damaged)")
            }
            throw RetryableFailure.damaged(detail)
        }
        return try await retrying.run(operation) { _, timing in
            let offset = resumable ? ((try? spool.size(of: part.name)) ?? 0) : 0
            let request = request(offset)
            let outcome: TransferOutcome, result: AttemptResult
            do {
                (outcome, result) = try await attempt(request, part: part, offset: offset, timing: timing)
            } catch let corrupt as SpoolReceiver.CorruptBody {
                // The receiver stopped the transfer as soon as the data could not be a bundle.
                try discardCorrupt(corrupt.detail)
            }
            resumable = result.acceptsRanges
            switch outcome {
            case .response(let status, _, _) where (200..<300).contains(status):
                switch result.verdict {
                case .complete:
                    return try publish(part, as: name, encoding: result.encoding ?? .gzip)
                case .truncated(let detail):
                    throw RetryableFailure.damaged(detail)
                case .corrupt(let detail):
                    try discardCorrupt(detail)
                }
            case .response(416, _, _):
                // Our partial file no longer matches the server's: start over.
                part.remove()
                resumable = false
                throw RetryableFailure.damaged("HTTP 416: cannot resume, starting over")
            case .response(let status, let headers, let errorBody):
                throw failure(status, headers, errorBody, request.url)
            case .transportFailure(let transport):
                throw ResponseClassification.failure(transport: transport)
            }
        }
    }

    private struct AttemptResult: Sendable {
        var verdict: BundleVerifier.Verdict
        var encoding: BodyEncoding?
        var acceptsRanges: Bool
    }

    private func attempt(
        _ request: HTTPRequest, part: SpoolFile, offset: Int64, timing: ResponseTiming
    ) async throws -> (TransferOutcome, AttemptResult) {
        do {
            return try await ExportClient.transfer(request, timing: timing, progress: progress) { [checking] in
                SpoolReceiver(part: part, requestedOffset: offset, checking: checking)
            } extract: { [sync] receiver in
                AttemptResult(verdict: try receiver.finish(sync: sync), encoding: receiver.verifier.encoding, acceptsRanges: receiver.serverAcceptsRanges)
            }
        } catch let error as Errno {
            throw ExportError.localIO("cannot write \(part.path): \(error)")
        }
    }

    private func publish(_ part: SpoolFile, as name: String, encoding: BodyEncoding) throws -> (encoding: BodyEncoding, byteCount: Int64) {
        let size = (try? part.root.size(of: part.name)) ?? 0
        do {
            try part.root.rename(part.name, to: name)
        } catch {
            throw ExportError.localIO("cannot move \(part.path) to \(destination): \(error)")
        }
        return (encoding, size)
    }
}

/// A file in the spool, named below the spool folder.
struct SpoolFile: Sendable {
    let root: ConfinedRoot
    let name: String

    var path: String { root.fullPath(name) }

    func remove() { try? root.remove(name) }
}
