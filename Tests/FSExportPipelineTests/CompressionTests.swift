import Foundation
import FSExportPipeline
import FSExportTestSupport
import Testing

/// gzip on every core, zstd, and their levels, read back by the standard tools.
@Suite("Compressed outputs", .serialized)
struct CompressionTests {
    static let pipeline = """
        source:
          start: 2024-01-01
          settle: 0s
        stages:
          plain: {type: files, inputs: [source], format: ndjson, path: "plain/{id}.ndjson"}
          fast_gzip: {type: files, inputs: [source], format: ndjson, compression: gzip, compression_level: 1, path: "gzip1/{id}.ndjson.gz"}
          small_gzip: {type: files, inputs: [source], format: ndjson, compression: gzip, compression_level: 9, path: "gzip9/{id}.ndjson.gz"}
          zstd_file: {type: files, inputs: [source], format: ndjson, compression: zstd, path: "zstd/{id}.ndjson.zst"}
          parts: {type: ndjson, inputs: [source], compression: zstd, compression_level: 19, max_lines: 100}
          zstd_parts: {type: files, inputs: [parts], path: "parts/{name}"}
          archive: {type: tar, inputs: [source], compression: gzip, compression_level: 9}
          archives: {type: files, inputs: [archive], path: "tar/{name}"}
          xz_archive: {type: tar, inputs: [source], compression: xz, compression_level: 1}
          xz_archives: {type: files, inputs: [xz_archive], path: "xz/{name}"}
        """

    @Test("Every compressed output decompresses with gzip, zstd and tar to the same events as the plain NDJSON")
    func readBack() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", Self.pipeline)
        let bundles = try await withSimulator(.pipelineTests()) { simulator in
            try await runPipeline(file, simulator: simulator)
            return simulator.configuration.dataset.bundles.map(\.id)
        }
        for id in bundles {
            let plain = try await Programs.shell("cat plain/\(id).ndjson", directory: workspace.path).stdout
            #expect(try await Programs.shell("gzip -t gzip1/\(id).ndjson.gz && gzip -dc gzip1/\(id).ndjson.gz", directory: workspace.path).stdout == plain)
            #expect(try await Programs.shell("gzip -dc gzip9/\(id).ndjson.gz", directory: workspace.path).stdout == plain)
            #expect(try await Programs.shell("zstd -q -t zstd/\(id).ndjson.zst && zstd -q -dc zstd/\(id).ndjson.zst", directory: workspace.path).stdout == plain)
            #expect(try await Programs.shell("for f in $(ls parts/\(id)-*.ndjson.zst); do zstd -q -dc $f; done", directory: workspace.path).stdout == plain)
            #expect(try await Programs.shell("tar -tzf tar/\(id).tar.gz", directory: workspace.path).stdout == "\(id).json.gz\n")
            #expect(try await Programs.shell("tar -xJOf xz/\(id).tar.xz | gzip -dc | wc -c", directory: workspace.path).stdout == (try await Programs.shell("tar -xzOf tar/\(id).tar.gz | gzip -dc | wc -c", directory: workspace.path).stdout))
        }
        let sizes = try await Programs.shell("cat gzip1/*.gz | wc -c; cat gzip9/*.gz | wc -c", directory: workspace.path).stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(sizes.count == 2 && sizes[0] > sizes[1], "level 1 \(sizes.first ?? 0) bytes, level 9 \(sizes.last ?? 0)")
    }

    @Test("A run twice gives the same compressed bytes (gzip on every core is deterministic)")
    func deterministic() async throws {
        let first = try TemporaryFolder("pipeline")
        let second = try TemporaryFolder("pipeline")
        let text = Self.pipeline
        for workspace in [first, second] {
            let file = try workspace.write("p.yml", text)
            try await withSimulator(.pipelineTests()) { simulator in try await runPipeline(file, simulator: simulator) }
        }
        let a = try first.tree(excluding: [".fsexport", "p.yml"])
        let b = try second.tree(excluding: [".fsexport", "p.yml"])
        #expect(a.count > 20 && a == b)
    }
}
