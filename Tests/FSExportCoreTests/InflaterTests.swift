import FSExportTestSupport
import FSExportZlib
import Testing

/// The inflater behind every download and decoder, with each library it can use (ISA-L and zlib):
/// gzip members one after another, any chunking of the input, any size of output, and the same
/// refusals of damaged streams (cut short, a wrong CRC or length, garbage after the end).
@Suite("Inflating gzip")
struct InflaterTests {
    static func gzip(_ text: String) throws -> [UInt8] {
        var compressed: [UInt8] = []
        let deflater = try Deflater(level: 6)
        try Array(text.utf8).withUnsafeBytes { try deflater.deflate($0) { compressed.append(contentsOf: $0) } }
        try deflater.finish { compressed.append(contentsOf: $0) }
        return compressed
    }

    static let text = String(repeating: "hello, events ", count: 300)
    static func members() throws -> [UInt8] { try gzip(text) + gzip("") + gzip(text) }

    /// Everything `library` makes of `input` fed in pieces of `size`, or the error it refused it with.
    static func inflate(_ input: [UInt8], with library: InflateLibrary, pieces size: Int = 1 << 20) -> Result<[UInt8], ZlibError> {
        do {
            let inflater = try Inflater(library: library)
            var output: [UInt8] = []
            var start = 0
            while start < input.count {
                let end = min(input.count, start + size)
                try input[start..<end].withUnsafeBytes { try inflater.inflate($0) { output += $0 } }
                start = end
            }
            try inflater.finish()
            #expect(inflater.inflatedCount == Int64(output.count) && inflater.compressedCount == Int64(input.count))
            return .success(output)
        } catch let error as ZlibError {
            return .failure(error)
        } catch {
            Issue.record("not a ZlibError: \(error)")
            return .failure(ZlibError(kind: .internalError, message: "\(error)", compressedOffset: -1))
        }
    }

    @Test("This build inflates with ISA-L, and zlib is there to fall back on")
    func libraries() {
        #expect(InflateLibrary.available == [.isal, .zlib])
        #expect(InflateLibrary.preferred == .isal)
        #expect("\(InflateLibrary.isal)".hasPrefix("ISA-L/2.") && "\(InflateLibrary.zlib)".hasPrefix("zlib/1."))
    }

    @Test("Concatenated members come out whole whatever the pieces of input", arguments: InflateLibrary.available, [1, 3, 100, 1 << 20])
    func pieces(library: InflateLibrary, size: Int) throws {
        let output = try Self.inflate(try Self.members(), with: library, pieces: size).get()
        #expect(String(decoding: output, as: UTF8.self) == Self.text + Self.text)
    }

    @Test("Into an output of any size, what the library still holds comes out with empty input", arguments: InflateLibrary.available, [1, 7, 4096])
    func rooms(library: InflateLibrary, size: Int) throws {
        let input = try Self.members()
        let inflater = try Inflater(library: library)
        let room = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
        defer { room.deallocate() }
        var output: [UInt8] = []
        var offset = 0
        while true {
            let (consumed, produced) = try input[offset...].withUnsafeBytes { try inflater.inflate($0, into: room) }
            output += room[..<produced]
            offset += consumed
            if consumed == 0 && produced == 0 { break }
        }
        try inflater.finish()
        #expect(String(decoding: output, as: UTF8.self) == Self.text + Self.text)
    }

    /// A damaged stream, and what either library must say of it.
    struct Damage: CustomTestStringConvertible, Sendable {
        let name: String
        let change: @Sendable ([UInt8]) -> [UInt8]
        let kind: ZlibError.Kind
        var testDescription: String { name }
    }

    static let damages: [Damage] = [
        Damage(name: "cut short by 3 bytes", change: { Array($0.dropLast(3)) }, kind: .truncated),
        Damage(name: "cut inside the header", change: { Array($0.prefix(5)) }, kind: .truncated),
        Damage(name: "a CRC-32 one off", change: { var bytes = $0; bytes[bytes.count - 8] ^= 1; return bytes }, kind: .corrupt),
        Damage(name: "a length one off", change: { var bytes = $0; bytes[bytes.count - 4] ^= 1; return bytes }, kind: .corrupt),
        Damage(name: "a byte of the data changed", change: { var bytes = $0; bytes[40] ^= 0x55; return bytes }, kind: .corrupt),
        Damage(name: "garbage after the end", change: { $0 + Array("garbage".utf8) }, kind: .corrupt),
        Damage(name: "a second member cut short", change: { $0 + Array($0.prefix(30)) }, kind: .truncated),
        Damage(name: "not gzip at all", change: { _ in Array("[{\"EventType\":\"click\"}]".utf8) }, kind: .corrupt),
    ]

    @Test("A damaged stream is refused by either library, with the same kind of error", arguments: InflateLibrary.available, damages)
    func damaged(library: InflateLibrary, damage: Damage) throws {
        let input = damage.change(try Self.gzip(Self.text))
        for size in [1, 5, 1 << 20] {
            guard case .failure(let error) = Self.inflate(input, with: library, pieces: size) else {
                Issue.record("\(library) accepted a stream \(damage.name), in pieces of \(size)")
                continue
            }
            #expect(error.kind == damage.kind, "\(library), pieces of \(size): \(error)")
            #expect(error.compressedOffset >= 0 && error.compressedOffset <= Int64(input.count))
        }
    }

    /// `text` gzipped with a name, a comment and a header CRC (`headerCRC` changed by `crcChange`).
    static func gzipWithHeaderFields(crcChange: UInt16 = 0) throws -> [UInt8] {
        let plain = try gzip(text)
        var header: [UInt8] = [0x1F, 0x8B, 8, 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3] + Array("bundle.json\0a comment\0".utf8)
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in header {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        let check = UInt16(truncatingIfNeeded: ~crc) ^ crcChange
        header += [UInt8(check & 0xFF), UInt8(check >> 8)]
        return header + plain.dropFirst(10)
    }

    @Test("A header with a name, a comment and its own CRC is read in any pieces, and refused when its CRC is wrong", arguments: InflateLibrary.available)
    func headerFields(library: InflateLibrary) throws {
        let good = try Self.gzipWithHeaderFields(), bad = try Self.gzipWithHeaderFields(crcChange: 1)
        for size in [1, 2, 5, 13, 31, 1 << 20] {
            #expect(try Self.inflate(good, with: library, pieces: size).get() == Array(Self.text.utf8), "pieces of \(size)")
            guard case .failure(let error) = Self.inflate(bad, with: library, pieces: size) else {
                Issue.record("\(library) took a wrong header CRC, in pieces of \(size)")
                continue
            }
            #expect(error.kind == .corrupt)
        }
    }

    @Test("ISA-L and zlib agree on every single-byte change of a stream: the same bytes, or both refuse")
    func librariesAgree() throws {
        let original = try Self.gzip(Self.text) + Self.gzip("second member")
        for (offset, input) in HostileValues.singleByteChanges(of: original, count: 2_000, seed: 7) {
            let (isal, zlib) = (Self.inflate(input, with: .isal, pieces: 17), Self.inflate(input, with: .zlib, pieces: 17))
            switch (isal, zlib) {
            case (.success(let a), .success(let b)): #expect(a == b, "byte \(offset) changed: different output")
            case (.failure, .failure): break
            default: Issue.record("byte \(offset) changed: ISA-L \(isal.map(\.count)), zlib \(zlib.map(\.count))")
            }
        }
    }
}
