import Foundation
import FSExportCore
import FSExportHTTP
import Logging

/// The calls of S3's multipart upload, each signed by libcurl (SigV4) and retried by the shared
/// retry layer on what passes (5xx, `SlowDown`, 429, resets, timeouts). The store has no rate
/// limit of the API's kind: its calls take no token.
struct S3Client: Sendable {
    let addressing: S3Addressing
    let credentials: S3Credentials
    let timeouts: Timeouts
    let retrying: Retrying
    let logger: Logger

    /// The store's retries: sooner and fewer than the API's, whose documentation asks for patience.
    static let defaultRetry = RetryPolicy(initialDelay: .milliseconds(500), maxDelay: .seconds(30), maxAttempts: 8, maxRetryAfter: .seconds(60))

    init(addressing: S3Addressing, credentials: S3Credentials, timeouts: Timeouts, retry: RetryPolicy, clocks: Clocks, logger: Logger) {
        self.addressing = addressing
        self.credentials = credentials
        self.timeouts = timeouts
        self.logger = logger
        retrying = Retrying(policy: retry, clocks: clocks, logger: logger) { operation, attempts, reason in
            S3Error("\(operation) failed \(attempts) times; the last: \(reason)")
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: HeaderFields
        var body: Data
    }

    /// Starts an upload; `headers` carry the object's content type, storage class and encryption.
    func createUpload(key: String, headers: [String]) async throws -> String {
        let response = try await call(
            "CreateMultipartUpload \(addressing.display(key: key))", method: "POST", url: addressing.url(key: key, query: [("uploads", "")]),
            body: .data(Data()), headers: headers)
        return try S3Responses.uploadID(response.body)
    }

    /// Sends one part from a file range, with its MD5 for the store to check; returns its ETag.
    func uploadPart(key: String, uploadID: String, number: Int, path: String, offset: Int64, length: Int64, md5: Data) async throws -> String {
        let response = try await call(
            "UploadPart \(number) of \(addressing.display(key: key))", method: "PUT",
            url: addressing.url(key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)]),
            body: .file(path: path, offset: offset, length: length), headers: ["Content-MD5: \(md5.base64EncodedString())"])
        guard let etag = response.headers["etag"] else { throw S3Error("the store answered UploadPart \(number) of \(addressing.display(key: key)) without an ETag") }
        return etag
    }

    enum Completion: Sendable, Equatable {
        case completed(etag: String)
        /// The upload is gone: completed by an earlier attempt of this call, or aborted.
        case uploadGone
    }

    /// Makes the object visible. A retried call whose first attempt had in fact succeeded finds
    /// the upload gone, which the caller checks against the object.
    func complete(key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws -> Completion {
        let response = try await call(
            "CompleteMultipartUpload \(addressing.display(key: key))", method: "POST", url: addressing.url(key: key, query: [("uploadId", uploadID)]),
            body: .data(S3Responses.completeBody(parts: parts)), headers: ["Content-Type: application/xml"], accept: [404],
            retryingBody: { body in
                // S3 may answer 200 and fail afterwards, in the body; a passing failure is worth another try.
                if case .failure(let error)? = try? S3Responses.completion(body), ["InternalError", "SlowDown", "ServiceUnavailable"].contains(error.code) {
                    return "\(error.code): \(error.message)"
                }
                return nil
            })
        if response.status == 404 { return .uploadGone }
        switch try S3Responses.completion(response.body) {
        case .success(let etag): return .completed(etag: etag)
        case .failure(let error): throw S3Error("CompleteMultipartUpload \(addressing.display(key: key)) failed: \(error.code): \(error.message)")
        }
    }

    /// Discards an upload and its parts; one already gone is fine.
    func abort(key: String, uploadID: String) async throws {
        _ = try await call(
            "AbortMultipartUpload \(addressing.display(key: key))", method: "DELETE", url: addressing.url(key: key, query: [("uploadId", uploadID)]),
            body: nil, headers: [], accept: [404])
    }

    /// Every unfinished upload whose key starts with `prefix`, across pages.
    func unfinishedUploads(prefix: String) async throws -> [S3Responses.Upload] {
        var uploads: [S3Responses.Upload] = []
        var marker: (keyMarker: String, uploadIDMarker: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", prefix)]
            if let marker { query += [("key-marker", marker.keyMarker), ("upload-id-marker", marker.uploadIDMarker)] }
            let response = try await call(
                "ListMultipartUploads \(addressing.display(key: prefix))", method: "GET", url: addressing.bucketURL(query: query), body: nil, headers: [])
            let page = try S3Responses.uploads(response.body)
            uploads += page.uploads
            guard page.next.map({ $0.keyMarker != marker?.keyMarker || $0.uploadIDMarker != marker?.uploadIDMarker }) ?? true else {
                throw S3Error("the store's upload listing under \(addressing.display(key: prefix)) repeats its page; stopped")
            }
            marker = page.next
        } while marker != nil
        return uploads
    }

    /// The object's ETag and size, or nil when there is no such object.
    func head(key: String) async throws -> (etag: String, size: Int64)? {
        let response = try await call("HeadObject \(addressing.display(key: key))", method: "HEAD", url: addressing.url(key: key), body: nil, headers: [], accept: [404])
        guard response.status != 404 else { return nil }
        return (response.headers["etag"] ?? "", Int64(response.headers["content-length"] ?? "") ?? -1)
    }

    // MARK: - One call, retried

    func call(
        _ operation: String, method: String, url: String, body: HTTPRequest.Body?, headers: [String], accept: Set<Int> = [],
        retryingBody: (@Sendable (Data) -> String?)? = nil
    ) async throws -> Response {
        let request = HTTPRequest(
            url: url, method: method, body: body, headers: signedHeaders(for: body) + headers, timeouts: timeouts,
            userAgent: "fsexport/\(FSExportVersion.current) (S3)",
            signing: HTTPRequest.AWSSigning(
                region: addressing.region, service: "s3", accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey))
        return try await retrying.run(operation) { _, timing in
            timing.sending(request)
            let (outcome, data) = try await CurlTransfer.transfer(request, timing: timing) { MemoryReceiver(limit: 8 << 20) } extract: { $0.data }
            switch outcome {
            case .response(let status, let headers, _) where (200..<300).contains(status):
                if let reason = retryingBody?(data) { throw RetryableFailure(reason, category: "http_\(status)") }
                return Response(status: status, headers: headers, body: data)
            case .response(let status, let headers, let errorBody) where accept.contains(status):
                return Response(status: status, headers: headers, body: Data(errorBody.utf8))
            case .response(let status, let headers, let errorBody):
                let document = S3Responses.error(Data(errorBody.utf8))
                if HTTPStatus.isTransient(status) || document?.code == "SlowDown" || document?.code == "RequestTimeout" {
                    throw RetryableFailure.status(status, headers: headers, now: retrying.clocks.wall(), detail: document?.code ?? "")
                }
                throw S3Error.refused(status: status, document: document, operation: operation, addressing: addressing, credentials: credentials)
            case .transportFailure(let failure) where failure.kind.isPermanent:
                throw S3Error("\(operation): cannot reach the store at \(addressing.endpoint): \(failure)")
            case .transportFailure(let failure):
                throw RetryableFailure(failure)
            }
        }
    }

    /// The payload hash S3 requires with SigV4: the body's SHA-256, or UNSIGNED-PAYLOAD for a
    /// part (whose Content-MD5 the store checks instead); and a session token when there is one.
    private func signedHeaders(for body: HTTPRequest.Body?) -> [String] {
        let payload: String
        switch body {
        case .file?: payload = "UNSIGNED-PAYLOAD"
        case .data(let data)?: payload = Digest.sha256(of: data).hex
        case nil: payload = Digest.sha256(of: Data()).hex
        }
        return ["x-amz-content-sha256: \(payload)"] + (credentials.sessionToken.map { ["x-amz-security-token: \($0)"] } ?? [])
    }
}

extension Sequence<UInt8> {
    var hex: String { map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
