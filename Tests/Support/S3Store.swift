import Foundation

/// A real S3 implementation on loopback (moto's server, signatures checked), with a bucket and a
/// key of its own, and a client independent of fsexport's (boto3) to read back what a test wrote.
/// Started by `Tests/Support/s3-store.py`; stops when this object goes.
public final class S3Store: Sendable {
    public let endpoint: String
    public let bucket: String
    public let accessKeyID: String
    public let secretAccessKey: String
    private let process: Process
    private let input: FileHandle

    public struct Object: Decodable, Sendable, Equatable {
        public var key: String
        public var size: Int
        public var etag: String
        public var contentType: String?
        public var storageClass: String?
        public var encryption: String?

        enum CodingKeys: String, CodingKey {
            case key, size, etag, encryption
            case contentType = "content_type"
            case storageClass = "storage_class"
        }
    }

    public struct Upload: Decodable, Sendable, Equatable {
        public var key: String
        public var uploadID: String

        enum CodingKeys: String, CodingKey {
            case key
            case uploadID = "upload_id"
        }
    }

    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("s3-store.py").path

    /// The Python with moto: `.build-moto` (made by `.ci/install-deps --tests`), else `python3`.
    private static var python: String {
        let local = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build-moto/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: local) ? local : "/usr/bin/env"
    }

    public init() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = (Self.python == "/usr/bin/env" ? ["python3"] : []) + [Self.script, "serve"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        self.input = input.fileHandleForWriting
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw S3StoreError("s3-store.py serve ended before it was ready: is moto installed? (.ci/install-deps --tests)")
            }
            line += chunk
        }
        struct Ready: Decodable {
            var endpoint, bucket: String
            var access_key_id, secret_access_key: String
        }
        let ready = try JSONDecoder().decode(Ready.self, from: line)
        endpoint = ready.endpoint
        bucket = ready.bucket
        accessKeyID = ready.access_key_id
        secretAccessKey = ready.secret_access_key
    }

    deinit {
        try? input.close()
        process.waitUntilExit()
    }

    /// A credentials file holding this store's key as `profile`, for a stage's `credentials_file`.
    public func credentialsFile(profile: String = "default", secret: String? = nil) -> String {
        "[\(profile)]\naws_access_key_id = \(accessKeyID)\naws_secret_access_key = \(secret ?? secretAccessKey)\n"
    }

    /// The environment a process needs to reach this store with its key.
    public var environment: [String: String] {
        ["S3_ENDPOINT": endpoint, "S3_BUCKET": bucket, "AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey]
    }

    public func objects() throws -> [Object] { try JSONDecoder().decode([Object].self, from: run(["objects"])) }
    public func get(_ key: String) throws -> Data { try run(["get", key]) }
    /// Every object under `prefix/`, by its name below it, read in one go.
    public func contents(under prefix: String) throws -> [String: Data] {
        try JSONDecoder().decode([String: String].self, from: run(["contents", prefix])).mapValues { Data(base64Encoded: $0) ?? Data() }
    }
    public func uploads() throws -> [Upload] { try JSONDecoder().decode([Upload].self, from: run(["uploads"])) }
    /// Starts an upload and leaves it unfinished, as a killed run would.
    public func startUpload(_ key: String) throws { _ = try run(["start-upload", key]) }
    /// Writes an object directly.
    public func put(_ key: String, _ bytes: Data) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("s3-put-\(UUID().uuidString)").path
        try bytes.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = try run(["put", key, file])
    }

    private func run(_ arguments: [String]) throws -> Data {
        let result = try Programs.runBlocking(Self.python, (Self.python == "/usr/bin/env" ? ["python3"] : []) + [Self.script] + arguments, environment: environment)
        guard result.status == 0 else { throw S3StoreError("s3-store.py \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
        return result.stdoutData
    }
}

public struct S3StoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
