import Foundation
import FSExportCore
import FSExportHTTP
import Logging

/// `type: s3`: uploads the files of its inputs (or the bundle file, when it reads `source`) to a
/// bucket of S3 or a compatible store (MinIO, Cloudflare R2, Google Cloud Storage), under a key
/// template.
///
/// Exactly once, never partial: every object is a multipart upload whose parts go up during
/// `deliver`; CompleteMultipartUpload runs at commit and AbortMultipartUpload at abort, so an
/// object is either absent or whole. Uploads a killed run left under the key's prefix are aborted
/// when the next run starts.
public struct S3Sink: ConfigurableSink, PreparesRun, PlansOutput {
    public static let type = "s3"

    public enum ExistingObject: String, Decodable, Sendable, CaseIterable {
        /// Upload it again (a re-delivered bundle writes the same bytes).
        case overwrite
        /// Keep the object there, checked with HEAD, and upload nothing.
        case skip
    }

    public enum Encryption: String, Decodable, Sendable, CaseIterable {
        case aes256 = "AES256"
        case kms = "aws:kms"
    }

    public struct Options: Decodable, Sendable {
        public var bucket: String
        /// Key template, e.g. `fullstory/{start:%Y/%m/%d}/{id}.json.gz`: the `files` placeholders.
        public var key: String
        /// Default (or empty): AWS's endpoint for the region. MinIO, R2 and GCS give theirs.
        public var endpoint: String?
        /// Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, or `us-east-1`.
        public var region: String?
        /// Default: false on AWS, true with an `endpoint`.
        public var pathStyle: Bool?
        public var profile: String?
        public var credentialsFile: String?
        public var storageClass: String?
        public var serverSideEncryption: Encryption?
        public var kmsKeyID: String?
        /// Default: inferred from the key's name.
        public var contentType: String?
        /// Default 16MiB; at least 5MiB.
        public var partSize: String?
        /// Parts in flight at once. Default 4.
        public var concurrency: Int?
        public var ifExists: ExistingObject?

        enum CodingKeys: String, CodingKey {
            case bucket, key, endpoint, region, profile, concurrency
            case pathStyle = "path_style"
            case credentialsFile = "credentials_file"
            case storageClass = "storage_class"
            case serverSideEncryption = "server_side_encryption"
            case kmsKeyID = "kms_key_id"
            case contentType = "content_type"
            case partSize = "part_size"
            case ifExists = "if_exists"
        }
    }

    static let storageClasses = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE",
        "EXPRESS_ONEZONE", "OUTPOSTS", "SNOW",
    ]

    let options: Options
    let template: PathTemplate
    let addressing: S3Addressing
    let partSize: Int
    let concurrency: Int
    let ifExists: ExistingObject
    let baseDirectory: String
    /// Where credentials are looked up; the process's environment unless a test gives its own.
    var environment: [String: String] = ProcessInfo.processInfo.environment
    var retry = S3Client.defaultRetry
    var timeouts = Timeouts()
    var clocks = Clocks.system

    public init(options: Options, context: SinkContext) throws {
        self.options = options
        guard S3Addressing.isValidBucket(options.bucket) else {
            throw SinkError(option: "bucket", "'\(options.bucket)' is not a bucket name: 3 to 63 of a-z, 0-9, '.' and '-', starting and ending with a letter or digit")
        }
        do { template = try PathTemplate(options.key, allowed: [.id, .start, .stop, .name]) } catch { throw SinkError(option: "key", error) }
        try template.checkRelative(option: "key")
        guard !template.literalPrefix.isEmpty else {
            // The unfinished uploads under that prefix are aborted before each run: without one, that
            // would be every unfinished upload in the bucket, other tools' included.
            throw SinkError(option: "key", offset: 0, "'\(options.key)' must start with a fixed prefix that this stage owns, such as fullstory/\(options.key)")
        }
        let environment = ProcessInfo.processInfo.environment
        let region = options.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        guard !region.isEmpty, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw SinkError(option: "region", "'\(region)' is not a region name such as us-east-1")
        }
        // An empty endpoint is AWS's, so that a pipeline file can write `endpoint: ${S3_ENDPOINT:-}`.
        let givenEndpoint = options.endpoint.flatMap { $0.isEmpty ? nil : $0 }
        var endpoint = givenEndpoint ?? S3Addressing.awsEndpoint(region: region)
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        guard let url = URLComponents(string: endpoint), ["http", "https"].contains(url.scheme), url.host?.isEmpty == false,
            url.path.isEmpty, url.query == nil
        else {
            throw SinkError(option: "endpoint", "'\(endpoint)' is not an endpoint such as https://s3.us-east-1.amazonaws.com or http://127.0.0.1:9000 (scheme and host, no path)")
        }
        let pathStyle = options.pathStyle ?? (givenEndpoint != nil)
        if !pathStyle, options.bucket.contains(".") {
            throw SinkError(option: "path_style", "bucket '\(options.bucket)' has a dot, which TLS cannot verify as a host name; set path_style: true")
        }
        addressing = S3Addressing(endpoint: endpoint, region: region, bucket: options.bucket, pathStyle: pathStyle)
        do { partSize = try ByteSizeText.parse(options.partSize ?? "16MiB") } catch { throw SinkError(option: "part_size", "\(error)") }
        guard partSize >= MultipartUpload.minimumPartSize, partSize <= 5 << 30 else {
            throw SinkError(option: "part_size", "must be between 5MiB and 5GiB (S3's limits on a part), not \(options.partSize ?? "")")
        }
        concurrency = options.concurrency ?? 4
        guard (1...64).contains(concurrency) else { throw SinkError(option: "concurrency", "must be 1 to 64, not \(concurrency)") }
        if let storageClass = options.storageClass, !Self.storageClasses.contains(storageClass) {
            throw SinkError(option: "storage_class", "'\(storageClass)' is not one of \(Self.storageClasses.joined(separator: ", "))")
        }
        if options.kmsKeyID != nil, options.serverSideEncryption != .kms {
            throw SinkError(option: "kms_key_id", "applies to server_side_encryption: aws:kms")
        }
        if let type = options.contentType, type.isEmpty || type.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw SinkError(option: "content_type", "must be a media type such as application/gzip")
        }
        ifExists = options.ifExists ?? .overwrite
        baseDirectory = context.baseDirectory
    }

    public var reads: SinkReads { .files }

    func client(logger: Logger) throws -> S3Client {
        let credentialsFile = options.credentialsFile.map { SinkContext.resolve($0, against: baseDirectory) }
        let credentials = try S3Credentials.resolve(profile: options.profile, credentialsFile: credentialsFile, environment: environment)
        return S3Client(addressing: addressing, credentials: credentials, timeouts: timeouts, retry: retry, clocks: clocks, logger: logger)
    }

    /// Aborts the uploads a killed run left under the key's prefix: this stage owns that prefix,
    /// and the run's lock keeps any other run of this pipeline out.
    public func prepareRun(logger: Logger) async throws {
        let client = try client(logger: logger)
        let prefix = template.literalPrefix
        let stale = try await client.unfinishedUploads(prefix: prefix)
        for upload in stale {
            try await client.abort(key: upload.key, uploadID: upload.uploadID)
        }
        if !stale.isEmpty {
            logger.notice("aborted \(stale.count) unfinished upload\(stale.count == 1 ? "" : "s") under \(addressing.display(key: prefix)) left by an interrupted run")
        }
    }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        let client = try client(logger: delivery.logger)
        var uploads: [MultipartUpload] = []
        var keys: Set<String> = []
        do {
            for try await artifact in delivery.input.files {
                let key = objectKey(PathTemplate.Values(delivery.bundle, name: artifact.name))
                guard key.utf8.count <= 1024 else {
                    throw SinkError("the key for '\(artifact.name)' of bundle \(delivery.bundle.id) is \(key.utf8.count) bytes long; S3 takes at most 1024: shorten the key template")
                }
                guard keys.insert(key).inserted else {
                    throw SinkError("two files of bundle \(delivery.bundle.id) map to \(addressing.display(key: key)): add {name} to the key template")
                }
                if ifExists == .skip, try await client.head(key: key) != nil {
                    delivery.logger.info("\(addressing.display(key: key)) exists; skipped (if_exists: skip)")
                    continue
                }
                uploads.append(
                    try await MultipartUpload.send(
                        file: artifact.path, key: key, client: client, partSize: partSize, concurrency: concurrency,
                        headers: objectHeaders(key: key), checksETags: options.serverSideEncryption != .kms))
            }
        } catch {
            for upload in uploads { await upload.abort(client) }
            throw error
        }
        let sent = uploads
        let completed = Completed()
        return Commit(
            commit: {
                for upload in sent {
                    try await upload.complete(client)
                    await completed.add(upload.uploadID)
                }
            },
            abort: {
                for upload in sent where await !completed.contains(upload.uploadID) { await upload.abort(client) }
            })
    }

    /// The headers that make the object what the options say.
    func objectHeaders(key: String) -> [String] {
        var headers = ["Content-Type: \(options.contentType ?? ContentTypes.inferred(fromName: key))"]
        if let storageClass = options.storageClass { headers.append("x-amz-storage-class: \(storageClass)") }
        if let encryption = options.serverSideEncryption { headers.append("x-amz-server-side-encryption: \(encryption.rawValue)") }
        if let keyID = options.kmsKeyID { headers.append("x-amz-server-side-encryption-aws-kms-key-id: \(keyID)") }
        return headers
    }

    /// The run and the dry run both name objects here.
    func objectKey(_ values: PathTemplate.Values) -> String { template.render(values) }

    public func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String] {
        inputs.map { addressing.display(key: objectKey(PathTemplate.Values(bundle, plannedName: $0))) }
    }
}

/// The uploads a commit has completed, so that an abort after a failed commit leaves them be.
private actor Completed {
    private var ids: Set<String> = []
    func add(_ id: String) { ids.insert(id) }
    func contains(_ id: String) -> Bool { ids.contains(id) }
}
