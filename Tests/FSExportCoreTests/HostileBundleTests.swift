import Foundation
import FSExportTestSupport
import FSExportZlib
import Testing

@testable import FSExportCore

/// A gzip file made from `pieces`, streamed (so a test can make a huge document in little memory).
func gzipFile(_ pieces: some Sequence<[UInt8]>) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-hostile-\(UUID().uuidString)").path
    let output = try OutputFile(path: path, compression: .gzip)
    for piece in pieces { try output.write(piece) }
    try output.close()
    return path
}

@Suite("Hostile bundles")
struct HostileBundleTests {
    static let mebibyte = [UInt8](repeating: 0x20, count: 1 << 20)

    /// Decodes every event; returns the events and the most bytes the decoder held at once (its
    /// working buffer and what its inflating task held waiting, together).
    static func decode(_ path: String, maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize) async throws -> (events: [String], peak: Int) {
        let decoder = BundleDecoder(path: path, encoding: .gzip, bundleID: 7, maximumEventSize: maximumEventSize)
        var events: [String] = []
        let decoded = try await decoder.decode { events += $0.events.map(\.json) }
        #expect(decoded.events == events.count)
        return (events, decoded.peakBufferedBytes + decoded.peakProducedBytes)
    }

    @Test("White space, however much, costs no memory: around the array and between events")
    func whitespace() async throws {
        let around = try gzipFile([[UInt8]("[".utf8)] + Array(repeating: Self.mebibyte, count: 8) + [[UInt8]("]".utf8)])
        defer { unlink(around) }
        let empty = try await Self.decode(around)
        #expect(empty.events.isEmpty)
        #expect(empty.peak <= 1 << 20, "held \(empty.peak) bytes")

        let between = try gzipFile([[UInt8]("[{\"a\":1}".utf8)] + Array(repeating: Self.mebibyte, count: 8) + [[UInt8](",{\"b\":2}]".utf8)])
        defer { unlink(between) }
        let two = try await Self.decode(between)
        #expect(two.events == [#"{"a":1}"#, #"{"b":2}"#])
        #expect(two.peak <= 1 << 20, "held \(two.peak) bytes")
    }

    @Test("An event over max_event_size is refused as soon as it is too long, at its offset, in bounded memory")
    func oversizedEvent() async throws {
        let cap = 2 << 20
        let prefix = [UInt8](#"[{"a":1},{"big":""#.utf8)
        let path = try gzipFile([prefix] + Array(repeating: [UInt8](repeating: 0x41, count: 1 << 20), count: 16) + [[UInt8](#""}]"#.utf8)])
        defer { unlink(path) }
        do {
            _ = try await Self.decode(path, maximumEventSize: cap)
            Issue.record("a 16 MiB event was accepted under a 2 MiB cap")
        } catch let error as BundleFormatError {
            #expect(error.offset == 9)
            #expect("\(error)".contains("2 MiB"))
        }
        // Whitespace inside an event counts towards its size too.
        let padded = try gzipFile([[UInt8]("[{\"a\":".utf8)] + Array(repeating: Self.mebibyte, count: 16) + [[UInt8]("1}]".utf8)])
        defer { unlink(padded) }
        await #expect(throws: BundleFormatError.self) { _ = try await Self.decode(padded, maximumEventSize: cap) }
    }

    @Test("Reading a bundle's document piece by piece holds a few MiB at most, however well it compresses")
    func readerPieces() throws {
        let path = try gzipFile([[UInt8]("[".utf8)] + Array(repeating: Self.mebibyte, count: 64) + [[UInt8]("]".utf8)])
        defer { unlink(path) }
        let reader = try DecodedBundleReader(DownloadedBundle(id: 7, path: path, encoding: .gzip, byteCount: 0))
        var largest = 0, total = 0
        while let piece = try reader.next() {
            largest = max(largest, piece.count)
            total += piece.count
        }
        #expect(total == (64 << 20) + 2)
        #expect(largest <= 5 << 20, "a piece of \(largest) bytes")
    }

    @Test("A key that appears twice: the last one wins, as in jq")
    func duplicateKeys() throws {
        let batch = EventBatch(bytes: Array(#"{"EventType":"first","x":1,"EventType":"last"}"#.utf8), ranges: [0..<46])
        #expect(batch[0].field("EventType") == .string("last"))
        #expect(batch[0].field("x") == .number("1"))
    }
}

@Suite("Split value names")
struct SplitValueNameTests {
    /// Values that clean to the same name, and values that differ only past the cut.
    static let tricky: [String] = [
        "Buy now", "Buy\nnow", "Buy\u{00A0}now", "Buy/now", "Buy_now", "Buy_now~", "", ".", "..", "_", "_.",
        String(repeating: "a", count: 200) + "1", String(repeating: "a", count: 200) + "2", String(repeating: "é", count: 120),
        "日本語", "日本 語", "\u{0}", "a\u{0}b", "🎉", "🎉🎉", "con", "-", "x/../y",
    ]

    @Test("Different values get different names; a value gets the same name every time; every name is one safe path part")
    func oneToOne() {
        let values = Array(Set(Self.tricky + HostileValues.strings(count: 5000, seed: 7)))
        var owners: [String: String] = [:]
        for value in values {
            let name = PathTemplate.splitValueName(value)
            #expect(name == PathTemplate.splitValueName(value))
            #expect(!name.contains("/") && !name.isEmpty && name != "." && name != ".." && name.utf8.count <= 120, "\(name)")
            #expect((try? Artifact.validate(name: name)) != nil)
            if let owner = owners[name] { Issue.record("'\(owner)' and '\(value)' both map to \(name)") }
            owners[name] = value
        }
    }

    @Test("A safe value keeps its own name; a cleaned one carries a stable hash")
    func stableNames() {
        #expect(PathTemplate.splitValueName("click") == "click")
        #expect(PathTemplate.splitValueName("Buy now") == "Buy_now~" + StableHash.hex("Buy now"))
        #expect(StableHash.hex("Buy now") == StableHash.hex("Buy now"))
        // SHA-256 of the empty string begins e3b0c442 98fc1c14 9afbf4c8: the same in every process.
        #expect(StableHash.hex("") == "e3b0c44298fc1c149afbf4c8")
        // One value, however it is composed: é as one code point, or e and a combining accent.
        #expect(PathTemplate.splitValueName("caf\u{E9} cr\u{E8}me") == PathTemplate.splitValueName("cafe\u{301} cre\u{300}me"))
        #expect(PathTemplate.splitValueName("e\u{301}") == "\u{E9}")
    }
}
