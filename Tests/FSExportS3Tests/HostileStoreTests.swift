import CCrypto
import Foundation
import FSExportCore
import FSExportHTTP
import FSExportTestSupport
import Logging
import Synchronization
import Testing

@testable import FSExportS3

/// The S3 client against a scripted store that answers what real stores sometimes do: passing
/// failures, errors inside a 200, parts that arrive damaged, answers that are lost.
@Suite("S3 client against a hostile store")
struct HostileStoreTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func client(_ server: ScriptedServer) -> S3Client {
        S3Client(
            addressing: S3Addressing(endpoint: server.baseURL, region: "us-east-1", bucket: "b", pathStyle: true),
            credentials: S3Credentials(accessKeyID: "AKIATEST00000000", secretAccessKey: "test-secret", origin: "a test"),
            timeouts: Timeouts(connect: .seconds(5)), retry: RetryPolicy(initialDelay: .milliseconds(5), maxDelay: .milliseconds(20), maxAttempts: 4),
            clocks: .system, logger: Self.quiet)
    }

    func file(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-part-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// MD5 straight from libcrypto, not through the sink's own wrapper.
    static func md5Bytes(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        _ = EVP_Digest(bytes, bytes.count, &output, &length, EVP_md5(), nil)
        return output
    }

    static func md5(_ bytes: [UInt8]) -> String { md5Bytes(bytes).map { String(format: "%02x", $0) }.joined() }

    /// A store that answers each call by its kind, counting calls.
    final class Store: Sendable {
        let calls = Mutex<[String]>([])
        let answer: @Sendable (ScriptedServer.Request, Int) -> ScriptedServer.Response

        init(_ answer: @escaping @Sendable (ScriptedServer.Request, Int) -> ScriptedServer.Response) { self.answer = answer }

        func handle(_ request: ScriptedServer.Request) -> ScriptedServer.Response {
            let kind =
                request.query["uploads"] != nil
                ? (request.method == "POST" ? "create" : "list")
                : request.query["partNumber"] != nil ? "part" : request.query["uploadId"] != nil ? (request.method == "DELETE" ? "abort" : "complete") : request.method
            let count = calls.withLock { calls in
                calls.append(kind)
                return calls.filter { $0 == kind }.count
            }
            return answer(request, count)
        }

        func count(_ kind: String) -> Int { calls.withLock { $0.filter { $0 == kind }.count } }
    }

    static let created = ScriptedServer.Response(status: 200, body: Array("<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>".utf8))

    static func completed(_ etag: String) -> ScriptedServer.Response {
        ScriptedServer.Response(status: 200, body: Array("<CompleteMultipartUploadResult><ETag>\"\(etag)\"</ETag></CompleteMultipartUploadResult>".utf8))
    }

    @Test("SlowDown, 500 and an InternalError inside a 200 are retried; every request is signed and carries the part's MD5")
    func passingFailures() async throws {
        let bytes = Array("a part of an object".utf8)
        let expected = "\(Self.md5(Self.md5Bytes(bytes)))-1"
        let seen = Mutex<[ScriptedServer.Request]>([])
        let store = Store { request, count in
            seen.withLock { $0.append(request) }
            switch (request.query, count) {
            case (let query, _) where query["uploads"] != nil: return Self.created
            case (let query, 1) where query["partNumber"] != nil:
                return ScriptedServer.Response(status: 503, body: Array("<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>".utf8))
            case (let query, _) where query["partNumber"] != nil:
                return ScriptedServer.Response(status: 200, headers: [("ETag", "\"\(Self.md5(request.body))\"")])
            case (_, 1): return ScriptedServer.Response(status: 500)
            case (_, 2): return ScriptedServer.Response(status: 200, body: Array("<Error><Code>InternalError</Code><Message>try again</Message></Error>".utf8))
            default: return Self.completed(expected)
            }
        }
        let server = try ScriptedServer(store.handle)
        let client = client(server)
        let upload = try await MultipartUpload.send(
            file: try file(bytes), key: "k/obj.bin", client: client, partSize: 5 << 20, concurrency: 2, headers: [], checksETags: true)
        try await upload.complete(client)
        #expect(store.count("part") == 2)
        #expect(store.count("complete") == 3)
        for request in seen.withLock({ $0 }) {
            #expect(request.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIATEST00000000/") == true)
            #expect(request.headers["x-amz-content-sha256"] != nil)
            #expect(!(request.headers["authorization"] ?? "").contains("test-secret"))
        }
        let part = try #require(seen.withLock { $0 }.last { $0.query["partNumber"] != nil })
        #expect(part.body == bytes)
        #expect(part.headers["content-md5"] == Data(Self.md5Bytes(bytes)).base64EncodedString())
    }

    @Test("A part that arrives other than it left fails the upload, which is aborted")
    func damagedPart() async throws {
        let store = Store { request, _ in
            if request.query["uploads"] != nil { return Self.created }
            if request.query["partNumber"] != nil { return ScriptedServer.Response(status: 200, headers: [("ETag", "\"0123456789abcdef0123456789abcdef\"")]) }
            return ScriptedServer.Response(status: 204)
        }
        let server = try ScriptedServer(store.handle)
        await #expect(throws: S3Error.self) {
            _ = try await MultipartUpload.send(
                file: try file(Array("bytes".utf8)), key: "k", client: client(server), partSize: 5 << 20, concurrency: 1, headers: [], checksETags: true)
        }
        #expect(store.count("abort") == 1)
    }

    @Test("An object assembled with another ETag than the parts sent fails the commit")
    func wrongAssembly() async throws {
        let store = Store { request, _ in
            if request.query["uploads"] != nil { return Self.created }
            if request.query["partNumber"] != nil { return ScriptedServer.Response(status: 200, headers: [("ETag", "\"\(Self.md5(request.body))\"")]) }
            return Self.completed("ffffffffffffffffffffffffffffffff-1")
        }
        let server = try ScriptedServer(store.handle)
        let upload = try await MultipartUpload.send(
            file: try file(Array("bytes".utf8)), key: "k", client: client(server), partSize: 5 << 20, concurrency: 1, headers: [], checksETags: true)
        await #expect(throws: S3Error.self) { try await upload.complete(client(server)) }
    }

    @Test("A completion whose answer was lost is confirmed by the object's ETag; a vanished upload is an error")
    func lostCompletion() async throws {
        let bytes = Array("bytes".utf8)
        let expected = "\(Self.md5(Self.md5Bytes(bytes)))-1"
        for objectThere in [true, false] {
            let store = Store { request, _ in
                if request.query["uploads"] != nil { return Self.created }
                if request.query["partNumber"] != nil { return ScriptedServer.Response(status: 200, headers: [("ETag", "\"\(Self.md5(request.body))\"")]) }
                if request.method == "HEAD" {
                    return objectThere ? ScriptedServer.Response(status: 200, headers: [("ETag", "\"\(expected)\"")]) : ScriptedServer.Response(status: 404)
                }
                return ScriptedServer.Response(status: 404, body: Array("<Error><Code>NoSuchUpload</Code></Error>".utf8))
            }
            let server = try ScriptedServer(store.handle)
            let upload = try await MultipartUpload.send(
                file: try file(bytes), key: "k", client: client(server), partSize: 5 << 20, concurrency: 1, headers: [], checksETags: true)
            if objectThere {
                try await upload.complete(client(server))
            } else {
                await #expect(throws: S3Error.self) { try await upload.complete(client(server)) }
            }
        }
    }

    @Test("A store that fails for ever is given up on after the attempts, saying how often and why")
    func givesUp() async throws {
        let server = try ScriptedServer { _ in ScriptedServer.Response(status: 503) }
        let error = await #expect(throws: S3Error.self) { try await client(server).unfinishedUploads(prefix: "p/") }
        #expect(error?.description == "ListMultipartUploads s3://b/p/ failed 4 times; the last: HTTP 503 Service Unavailable")
        #expect(server.requestCount == 4)
    }

    @Test("A listing that repeats its page, or answers megabytes, is stopped")
    func hostileListings() async throws {
        let repeating = try ScriptedServer { _ in
            ScriptedServer.Response(status: 200, body: Array("""
                <ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>a</NextKeyMarker><NextUploadIdMarker>b</NextUploadIdMarker></ListMultipartUploadsResult>
                """.utf8))
        }
        await #expect(throws: S3Error.self) { try await client(repeating).unfinishedUploads(prefix: "") }
        #expect(repeating.requestCount == 2)

        let huge = try ScriptedServer { _ in ScriptedServer.Response(status: 200, body: [UInt8](repeating: 0x20, count: 9 << 20)) }
        await #expect(throws: (any Error).self) { try await client(huge).unfinishedUploads(prefix: "") }
    }

    @Test("403 names the key, where it came from, and the bucket")
    func forbidden() async throws {
        let server = try ScriptedServer { _ in
            ScriptedServer.Response(status: 403, body: Array("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".utf8))
        }
        let error = await #expect(throws: S3Error.self) { try await client(server).unfinishedUploads(prefix: "k") }
        #expect(error?.description.contains("HTTP 403 AccessDenied: Access Denied") == true)
        #expect(error?.description.contains("access key AKIA…0000 from a test, bucket 'b'") == true)
    }
}
