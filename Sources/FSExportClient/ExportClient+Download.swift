import Foundation
import FSExportCore
import SystemPackage

extension ExportClient {
    /// Downloads bundle `id` to `destination`, atomically: the bytes go to `destination.part`, and
    /// only a verified, complete bundle is renamed into place. A broken-off transfer resumes with an
    /// HTTP Range request where the server honours one; a corrupt one starts over.
    ///
    /// Memory use does not depend on the bundle's size.
    public func download(
        _ id: Int64, to destination: String, sync: Bool = false,
        progress: (@Sendable (TransferProgress) -> Void)? = nil
    ) async throws -> DownloadedBundle {
        let partPath = FilePath(destination + ".part")
        let loop = RetryLoop(policy: configuration.retry, bucket: bucket, logger: logger, operation: "GET id=\(id)")
        var resumable = true  // a .part left by an earlier run is worth a Range request
        var corruptCount = 0
        func discardCorrupt(_ detail: String) throws -> Never {
            unlink(partPath.string)
            resumable = false
            corruptCount += 1
            if corruptCount >= configuration.retry.maxCorruptDownloads {
                throw ExportError.corruptBundle(id: id, detail: "\(detail) (\(corruptCount) downloads in a row were damaged)")
            }
            throw AttemptFailure.transient(reason: detail, retryAfter: nil)
        }
        return try await loop.run { _, timing in
            let offset = resumable ? ((try? FileSize.of(partPath.string)) ?? 0) : 0
            let request = makeRequest(path: "/api/v1/export/get", parameter: ("id", id), resumeFrom: offset)
            let (outcome, result) = try await downloadAttempt(request, partPath: partPath, offset: offset, sync: sync, timing: timing, progress: progress)
            resumable = result.acceptsRanges
            if let corrupt = result.corruption { try discardCorrupt(corrupt) }
            switch outcome {
            case .response(let status, _, _) where (200..<300).contains(status):
                switch result.verdict {
                case .complete:
                    return try Self.publish(partPath, to: destination, id: id, encoding: result.encoding ?? .gzip)
                case .truncated(let detail):
                    throw AttemptFailure.transient(reason: detail, retryAfter: nil)
                case .corrupt(let detail):
                    try discardCorrupt(detail)
                }
            case .response(416, _, _):
                // Our partial file no longer matches the server's: start over.
                unlink(partPath.string)
                resumable = false
                throw AttemptFailure.transient(reason: "HTTP 416: cannot resume, starting over", retryAfter: .zero)
            case .response(let status, let headers, let errorBody):
                throw ResponseClassification.failure(
                    status: status, headers: headers, body: errorBody, call: .get(id: id), url: request.url, now: Self.now())
            case .transportFailure(let failure):
                throw ResponseClassification.failure(transport: failure)
            }
        }
    }

    private struct AttemptResult: Sendable {
        var verdict: BundleVerifier.Verdict
        var encoding: BodyEncoding?
        var acceptsRanges: Bool
        var corruption: String?
    }

    private func downloadAttempt(
        _ request: HTTPRequest, partPath: FilePath, offset: Int64, sync: Bool, timing: ResponseTiming,
        progress: (@Sendable (TransferProgress) -> Void)?
    ) async throws -> (TransferOutcome, AttemptResult) {
        do {
            let (outcome, result) = try await Self.transfer(request, timing: timing, progress: progress) {
                SpoolReceiver(partPath: partPath, requestedOffset: offset)
            } extract: { receiver in
                AttemptResult(
                    verdict: try receiver.finish(sync: sync), encoding: receiver.verifier.encoding,
                    acceptsRanges: receiver.serverAcceptsRanges, corruption: nil)
            }
            return (outcome, result)
        } catch let corrupt as SpoolReceiver.CorruptBody {
            // The receiver stopped the transfer as soon as the data could not be a bundle.
            return (.transportFailure(TransportFailure(curlCode: 23, message: corrupt.detail)),
                    AttemptResult(verdict: .corrupt(corrupt.detail), encoding: nil, acceptsRanges: false, corruption: corrupt.detail))
        } catch let error as Errno {
            throw ExportError.localIO("cannot write \(partPath): \(error)")
        }
    }

    private static func publish(_ partPath: FilePath, to destination: String, id: Int64, encoding: BodyEncoding) throws -> DownloadedBundle {
        let size = (try? FileSize.of(partPath.string)) ?? 0
        guard rename(partPath.string, destination) == 0 else {
            throw ExportError.localIO("cannot move \(partPath) to \(destination): \(String(cString: strerror(errno)))")
        }
        return DownloadedBundle(id: id, path: destination, encoding: encoding, byteCount: size)
    }

}
