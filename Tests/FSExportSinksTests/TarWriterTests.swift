import Foundation
import FSExportCore
import FSExportSinkTesting
import FSExportTestSupport
import Testing

@testable import FSExportSinks

/// The tar writer over libarchive, driven directly and read back with tar.
@Suite("The tar writer")
struct TarWriterTests {
    @Test("Files go in under their names with the given time; gzip and zstd archives read back with tar", arguments: [TarWriter.Compression.none, .gzip, .zstd])
    func readsBack(_ compression: TarWriter.Compression) async throws {
        let work = try TemporaryFolder("tar")
        let first = try work.write("in/a.ndjson", "{\"a\":1}\n")
        let second = try work.write("in/b.ndjson", String(repeating: "{\"b\":2}\n", count: 1000))
        let name = "out.tar" + compression.fileExtension
        let writer = try TarWriter(root: ConfinedRoot(work.path), relative: name, format: .pax, compression: compression, mtime: 1_704_067_200)
        try writer.add(name: "day/a.ndjson", contentsOf: first, size: 8)
        try writer.add(name: "day/b.ndjson", contentsOf: second, size: 8000)
        try writer.close()
        let listing = try await Programs.shell("tar -tvf '\(work.file(name))'", environment: ["TZ": "UTC"]).stdout
        #expect(listing.contains("day/a.ndjson") && listing.contains("day/b.ndjson") && listing.contains("2024-01-01"), "\(listing)")
        let extracted = try await Programs.shell("tar -xOf '\(work.file(name))' day/b.ndjson | wc -l").stdout
        #expect(extracted.trimmingCharacters(in: .whitespacesAndNewlines) == "1000")
    }

    @Test("The same files give the same bytes: no clock, owner or host gets into the archive", arguments: [TarWriter.Compression.none, .gzip, .xz])
    func deterministic(_ compression: TarWriter.Compression) async throws {
        let work = try TemporaryFolder("tar")
        let input = try work.write("in/a.ndjson", String(repeating: "{\"a\":1}\n", count: 5000))
        func archive(_ name: String) throws -> Data {
            let writer = try TarWriter(root: ConfinedRoot(work.path), relative: name, format: .pax, compression: compression, mtime: 1_704_067_200)
            try writer.add(name: "a.ndjson", contentsOf: input, size: 40_000)
            try writer.close()
            return try work.bytes(name)
        }
        let first = try archive("first.tar")
        try await Task.sleep(for: .milliseconds(1100))  // a second later: an mtime or gzip time from the clock would differ
        #expect(try archive("second.tar") == first)
    }

    @Test("A name longer than ustar holds is refused with libarchive's reason; pax keeps it whole")
    func longNames() async throws {
        let work = try TemporaryFolder("tar")
        let input = try work.write("in/a", "x")
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "n", count: 150) + ".ndjson"
        let ustar = try TarWriter(root: ConfinedRoot(work.path), relative: "u.tar", format: .ustar, compression: .none, mtime: 0)
        #expect {
            try ustar.add(name: long, contentsOf: input, size: 1)
        } throws: { error in
            "\(error)".hasPrefix("libarchive: ") && "\(error)".lowercased().contains("too long")
        }
        let pax = try TarWriter(root: ConfinedRoot(work.path), relative: "p.tar", format: .pax, compression: .none, mtime: 0)
        try pax.add(name: long, contentsOf: input, size: 1)
        try pax.close()
        #expect(try await Programs.shell("tar -tf '\(work.file("p.tar"))'").stdout == long + "\n")
    }

    @Test("A file that is not the size it was said to be fails the archive, never a short entry")
    func sizeChanged() async throws {
        let work = try TemporaryFolder("tar")
        let input = try work.write("in/a", "only ten b")
        for size: Int64 in [20, 5] {  // shrank, grew
            let writer = try TarWriter(root: ConfinedRoot(work.path), relative: "a\(size).tar", format: .pax, compression: .none, mtime: 0)
            #expect {
                try writer.add(name: "a", contentsOf: input, size: size)
            } throws: { error in
                "\(error)".contains("a changed size while it was archived (\(size) bytes expected, ")
            }
        }
    }
}
