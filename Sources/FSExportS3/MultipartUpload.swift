import Foundation
import FSExportCore
import Logging

/// One object on its way up: its parts are sent at deliver, and it becomes visible, whole, only
/// at ``complete(_:)``; ``abort(_:)`` takes it back. Until then the store shows no object.
struct MultipartUpload: Sendable {
    let key: String
    let uploadID: String
    let parts: [(number: Int, etag: String)]
    /// What the store's ETag for the whole object must be (the MD5 of the parts' MD5s, `-N`),
    /// when its ETags are MD5s (not under SSE-KMS).
    let expectedETag: String?

    /// The most parts S3 takes for one object, and the least size of all parts but the last.
    static let maximumParts = 10_000
    static let minimumPartSize = 5 << 20

    /// Sends `path` as `key`, `concurrency` parts at a time. Throws (having aborted the upload)
    /// if a part cannot be sent, or arrives other than it left.
    static func send(
        file path: String, key: String, client: S3Client, partSize: Int, concurrency: Int, headers: [String], checksETags: Bool
    ) async throws -> MultipartUpload {
        let size = try FileSize.of(path)
        let partSize = Self.partSize(for: size, preferred: partSize)
        let count = max(1, Int((size + Int64(partSize) - 1) / Int64(partSize)))
        // Not cancelled halfway: an upload the store created but whose id never came back would be
        // left until the next run. Once it has an id, a cancelled delivery aborts it below.
        let uploadID = try await Task { try await client.createUpload(key: key, headers: headers) }.value
        do {
            try Task.checkCancellation()
            let sent = try await withThrowingTaskGroup(of: (Int, String, Data).self) { group in
                var results: [Int: (etag: String, md5: Data)] = [:]
                for number in 1...count {
                    if number > concurrency, let (done, etag, md5) = try await group.next() { results[done] = (etag, md5) }
                    let offset = Int64(number - 1) * Int64(partSize)
                    let length = min(Int64(partSize), size - offset)
                    group.addTask {
                        let md5 = try PartDigest.md5(of: path, offset: offset, length: length)
                        let etag = try await client.uploadPart(key: key, uploadID: uploadID, number: number, path: path, offset: offset, length: length, md5: md5)
                        if checksETags, let hex = ETag.md5Hex(etag), hex != md5.hex {
                            throw S3Error("part \(number) of \(client.addressing.display(key: key)) arrived other than it left (ETag \(hex), MD5 sent \(md5.hex))")
                        }
                        return (number, etag, md5)
                    }
                }
                for try await (done, etag, md5) in group { results[done] = (etag, md5) }
                return results
            }
            let parts = (1...count).map { (number: $0, etag: sent[$0]!.etag) }
            let digest = Digest.md5(of: (1...count).reduce(into: Data()) { $0 += sent[$1]!.md5 })
            return MultipartUpload(key: key, uploadID: uploadID, parts: parts, expectedETag: checksETags ? "\(digest.hex)-\(count)" : nil)
        } catch {
            await MultipartUpload(key: key, uploadID: uploadID, parts: [], expectedETag: nil).abort(client)
            throw error
        }
    }

    /// The preferred size, raised when the file would otherwise need more than 10,000 parts.
    static func partSize(for size: Int64, preferred: Int) -> Int {
        let least = (size + Int64(maximumParts) - 1) / Int64(maximumParts)
        guard least > Int64(preferred) else { return preferred }
        let mebibyte: Int64 = 1 << 20
        return Int((least + mebibyte - 1) / mebibyte * mebibyte)
    }

    /// Makes the object visible, and checks the store assembled what was sent.
    func complete(_ client: S3Client) async throws {
        let shown = client.addressing.display(key: key)
        switch try await client.complete(key: key, uploadID: uploadID, parts: parts) {
        case .completed(let etag):
            if let expectedETag, let got = ETag.unquoted(etag), got.contains("-"), got != expectedETag {
                throw S3Error("\(shown) was assembled with ETag \(got), not \(expectedETag) as sent; the bundle is not recorded, and the next run uploads it again")
            }
        case .uploadGone:
            // Completed by an attempt whose answer was lost, or aborted by someone else.
            let object = try await client.head(key: key)
            guard let object, expectedETag.map({ ETag.unquoted(object.etag) == $0 }) ?? true else {
                throw S3Error("the upload of \(shown) vanished before it was completed (aborted by another process?); the bundle is not recorded, and the next run uploads it again")
            }
        }
    }

    /// Discards the upload. Never fails: what it cannot discard, the next run finds and aborts.
    /// Runs to its end even when the delivery was cancelled (a sibling stage failed), which is
    /// when it matters most.
    func abort(_ client: S3Client) async {
        let result = await Task { [key, uploadID] in try await client.abort(key: key, uploadID: uploadID) }.result
        if case .failure(let error) = result {
            client.logger.warning("could not abort the upload of \(client.addressing.display(key: key)): \(error); the next run aborts it")
        }
    }
}

/// ETags as stores send them: quoted.
enum ETag {
    static func unquoted(_ etag: String) -> String? {
        let trimmed = etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count >= 2 ? String(etag.dropFirst().dropLast()) : etag
        return trimmed.isEmpty ? nil : trimmed.lowercased()
    }

    /// The hex MD5 an ETag holds, when it is one (a single-part object's or a part's, unencrypted or SSE-S3).
    static func md5Hex(_ etag: String) -> String? {
        guard let value = unquoted(etag), value.count == 32, value.allSatisfy(\.isHexDigit) else { return nil }
        return value
    }
}

/// The MD5 of a file range, read in 1 MiB pieces.
enum PartDigest {
    static func md5(of path: String, offset: Int64, length: Int64) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw S3Error("cannot open \(path) to upload it") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let hasher = Digest.md5()
        var remaining = length
        while remaining > 0 {
            guard let chunk = try handle.read(upToCount: Int(min(remaining, 1 << 20))), !chunk.isEmpty else {
                throw S3Error("\(path) ended early while it was being uploaded")
            }
            hasher.update(chunk)
            remaining -= Int64(chunk.count)
        }
        return hasher.finish()
    }
}
