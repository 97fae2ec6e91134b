import FSExportCore
import FSExportHTTP
import Logging

/// The store's passing failures, retried with the API client's backoff (``RetryPolicy``). Each
/// retry is logged with its reason and wait; a call that keeps failing gives up after the policy's
/// attempts and says why.
struct S3Retry: Sendable {
    var policy = RetryPolicy(initialDelay: .milliseconds(500), maxDelay: .seconds(30), maxAttempts: 8)

    enum Step<T: Sendable>: Sendable {
        case done(T)
        /// Worth another attempt; `after` is the store's `Retry-After`.
        case retry(String, after: Duration?)
    }

    func run<T: Sendable>(_ operation: String, logger: Logger, _ attempt: (_ number: Int) async throws -> Step<T>) async throws -> T {
        var number = 1
        var random = SystemRandomNumberGenerator()
        while true {
            switch try await attempt(number) {
            case .done(let value):
                return value
            case .retry(let reason, let after):
                guard number < policy.maxAttempts ?? .max else {
                    throw S3Error("\(operation) failed \(number) times; the last: \(reason)")
                }
                let wait = after.map { min($0, policy.maxDelay) } ?? policy.backoff(retry: number, random: &random)
                logger.warning("\(operation) failed: \(reason); retry \(number) in \(DurationText.format(wait))", metadata: ["attempt": "\(number)"])
                try await Task.sleep(for: wait)
                number += 1
            }
        }
    }
}

/// A failure of the object store, in words: what was refused, for which key and bucket, and what to check.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }

    static func refused(
        status: Int, document: S3Responses.ErrorDocument?, operation: String, addressing: S3Addressing, credentials: S3Credentials
    ) -> S3Error {
        let said = document.map { " \($0.code)\($0.message.isEmpty ? "" : ": \($0.message)")" } ?? ""
        let bucket = addressing.bucket
        switch (status, document?.code) {
        case (403, _), (_, "InvalidAccessKeyId"?), (_, "SignatureDoesNotMatch"?):
            return S3Error(
                "the store refused \(operation) (HTTP \(status)\(said)) for access key \(credentials.shownKeyID) from \(credentials.origin), "
                    + "bucket '\(bucket)': check the key and its secret, and that its policy allows s3:PutObject, s3:AbortMultipartUpload "
                    + "and s3:ListBucketMultipartUploads on '\(bucket)'")
        case (404, "NoSuchBucket"?):
            return S3Error("bucket '\(bucket)' does not exist at \(addressing.endpoint) (\(operation), HTTP 404); create it, or check bucket, endpoint and region")
        case (301, _), (400, "AuthorizationHeaderMalformed"?), (400, "IllegalLocationConstraintException"?):
            return S3Error(
                "bucket '\(bucket)' is not in region \(addressing.region) or not at \(addressing.endpoint) (\(operation), HTTP \(status)\(said)); set the stage's region (or endpoint)")
        default:
            return S3Error("the store refused \(operation) with HTTP \(status)\(said)")
        }
    }
}
