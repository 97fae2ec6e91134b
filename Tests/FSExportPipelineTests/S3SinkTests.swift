import Foundation
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import FSExportTestSupport
import Testing

/// `type: s3` against a real S3 implementation on loopback (moto, signatures checked), read back
/// with an independent client (boto3).
@Suite("S3 sink against a real S3 store", .serialized)
struct S3SinkTests {
    /// A pipeline whose `bucket` stage uploads what `extra` stages feed it, beside a files stage
    /// that writes the same inputs to disk.
    static func pipeline(_ store: S3Store, bucketOptions: String = "", inputs: String = "[source]", extraStages: String = "") -> String {
        """
        source:
          start: 2024-01-01
          settle: 0s
          state: state.json
          spool: spool
        stages:
          local:
            type: files
            inputs: \(inputs)
            path: "files/{name}"
          bucket:
            type: s3
            inputs: \(inputs)
            bucket: \(store.bucket)
            endpoint: \(store.endpoint)
            credentials_file: credentials
            key: "objects/{name}"
        \(bucketOptions.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n"))
        \(extraStages)
        """
    }

    /// A store, and a workspace holding a credentials file with its key.
    static func storeAndWorkspace() throws -> (S3Store, TemporaryFolder) {
        let store = try S3Store()
        let workspace = try TemporaryFolder("pipeline")
        _ = try workspace.write("credentials", store.credentialsFile())
        return (store, workspace)
    }

    @Test("Objects are byte-identical to what a files stage writes, large ones in several parts, checked part by part")
    func sameBytesAsFiles() async throws {
        let (store, workspace) = try Self.storeAndWorkspace()
        // 11 MB of noise a bundle: three parts of 5 MiB, 5 MiB and the rest, two at a time.
        let file = try workspace.write(
            "p.yml",
            Self.pipeline(
                store, bucketOptions: "part_size: 5MiB\nconcurrency: 2", inputs: "[source, noise]",
                extraStages: """
                      noise:
                        type: command
                        inputs: [source]
                        shell: "cat > /dev/null; head -c 11000000 /dev/urandom"
                        output: "{id}.bin"
                    """))
        try await withSimulator(.pipelineTests()) { simulator in
            let summary = try await runPipeline(file, simulator: simulator)
            #expect(summary.bundles.count == 4)
        }
        let local = try workspace.tree(excluding: ["state", "spool", "credentials", "p.yml"])
        let objects = try store.objects()
        #expect(objects.map(\.key).sorted() == local.keys.map { "objects/" + $0.dropFirst("files/".count) }.sorted())
        #expect(objects.count == 8)
        for object in objects {
            let bytes = try store.get(object.key)
            #expect(bytes == local["files/" + object.key.dropFirst("objects/".count)], "\(object.key)")
            if object.key.hasSuffix(".bin") {
                #expect(object.etag.hasSuffix("-3"), "\(object.key): \(object.etag)")
                #expect(object.contentType == "application/octet-stream")
            } else {
                #expect(object.etag.hasSuffix("-1"))
                #expect(object.contentType == "application/gzip")
            }
        }
        #expect(try store.uploads().isEmpty)
    }

    @Test("A failing sibling stage leaves no object and no unfinished upload")
    func siblingFailure() async throws {
        let (store, workspace) = try Self.storeAndWorkspace()
        let file = try workspace.write(
            "p.yml",
            Self.pipeline(
                store,
                extraStages: """
                      failing:
                        type: command
                        inputs: [source]
                        shell: "cat > /dev/null; exit 3"
                    """))
        await #expect(throws: (any Error).self) {
            try await withSimulator(.pipelineTests()) { simulator in try await runPipeline(file, simulator: simulator) }
        }
        #expect(try store.objects().isEmpty)
        #expect(try store.uploads().isEmpty)
    }

    @Test("Uploads a killed run left under the key's prefix are aborted at the next start; others are not touched")
    func staleUploads() async throws {
        let (store, workspace) = try Self.storeAndWorkspace()
        try store.startUpload("objects/left-by-a-killed-run.json.gz")
        try store.startUpload("objects/deeper/another.bin")
        try store.startUpload("other-tool/its-own.bin")
        let file = try workspace.write("p.yml", Self.pipeline(store))
        try await withSimulator(.pipelineTests()) { simulator in try await runPipeline(file, simulator: simulator) }
        #expect(try store.uploads().map(\.key) == ["other-tool/its-own.bin"])
        #expect(try store.objects().count == 4)
    }

    @Test("if_exists: skip keeps an object that is there (checked with HEAD) and uploads the rest, encrypted and typed as asked")
    func skipExisting() async throws {
        let (store, workspace) = try Self.storeAndWorkspace()
        let file = try workspace.write("p.yml", Self.pipeline(
            store, bucketOptions: "if_exists: skip\nserver_side_encryption: AES256\ncontent_type: application/vnd.fullstory+gzip\nstorage_class: GLACIER_IR"))
        try await withSimulator(.pipelineTests()) { simulator in
            let first = simulator.configuration.dataset.bundles[0].id
            try store.put("objects/\(first).json.gz", Data("kept".utf8))
            try await runPipeline(file, simulator: simulator)
            #expect(try store.get("objects/\(first).json.gz") == Data("kept".utf8))
            let uploaded = try store.objects().filter { $0.key != "objects/\(first).json.gz" }
            #expect(uploaded.count == 3)
            #expect(uploaded.allSatisfy { $0.encryption == "AES256" && $0.contentType == "application/vnd.fullstory+gzip" && $0.storageClass == "GLACIER_IR" }, "\(uploaded)")
        }
    }

    @Test("A refused key says which key, from where, and which bucket, never the secret; nothing is recorded")
    func refusedKey() async throws {
        let store = try S3Store()
        let workspace = try TemporaryFolder("pipeline")
        let wrongSecret = "wrong-secret-0123456789abcdefghijklmnopqrstu"
        _ = try workspace.write("credentials", store.credentialsFile(profile: "nightly", secret: wrongSecret))
        let file = try workspace.write("p.yml", Self.pipeline(store, bucketOptions: "profile: nightly"))
        let error = await #expect(throws: (any Error).self) {
            try await withSimulator(.pipelineTests()) { simulator in try await runPipeline(file, simulator: simulator) }
        }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("SignatureDoesNotMatch"), "\(message)")
        #expect(message.contains("access key \(store.accessKeyID.prefix(4))…\(store.accessKeyID.suffix(4))"), "\(message)")
        #expect(message.contains("profile 'nightly' in \(workspace.path)/credentials"), "\(message)")
        #expect(message.contains("bucket 'fsexport-test'"), "\(message)")
        #expect(!message.contains(wrongSecret))
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/state.json"))
        #expect(try store.objects().isEmpty)
    }
}
