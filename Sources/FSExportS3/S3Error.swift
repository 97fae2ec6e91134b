import FSExportCore

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
