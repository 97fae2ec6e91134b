import CCrypto
import Foundation

/// MD5 (for S3's Content-MD5 and ETags) and SHA-256 (for SigV4's payload hash, and the hash in a
/// split value's file name), from the libcrypto that libcurl already links. Feed it bytes, then
/// take the digest once.
package final class Digest {
    private let context: OpaquePointer

    package static func md5() -> Digest { Digest(EVP_md5()) }
    package static func sha256() -> Digest { Digest(EVP_sha256()) }

    private init(_ algorithm: OpaquePointer?) {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, algorithm, nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    package func update(_ bytes: UnsafeRawBufferPointer) {
        if !bytes.isEmpty { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
    }

    package func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    package func finish() -> Data {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &output, &length)
        return Data(output.prefix(Int(length)))
    }

    package static func md5(of data: Data) -> Data {
        let digest = md5()
        digest.update(data)
        return digest.finish()
    }

    package static func sha256(of data: Data) -> Data {
        let digest = sha256()
        digest.update(data)
        return digest.finish()
    }
}
