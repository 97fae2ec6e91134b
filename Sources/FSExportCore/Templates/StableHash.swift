/// A hash of a split value for its file name that never changes between runs, machines or
/// versions (Swift's `Hasher` is seeded per process): the first 96 bits of SHA-256 over the
/// value's UTF-8 bytes, as 24 hex digits. A cryptographic hash, so that no one can craft two
/// values of one bundle that get one name (which fails the bundle, every time it is tried): a
/// 48-bit FNV-1a hash was broken that way in 26 seconds.
enum StableHash {
    static func hex(_ text: String) -> String {
        let digest = Digest.sha256()
        var text = text
        text.withUTF8 { digest.update(UnsafeRawBufferPointer($0)) }
        return digest.finish().prefix(12).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}
