import Foundation
import FSExportS3
import FuzzDriver

/// S3's XML answers (create, complete, list uploads, errors) and the canonical encoding of keys:
/// any bytes give a value the sink can act on or a Malformed error, never a trap; an upload id is
/// never empty; a listing goes on only when it says it was cut short; an encoded key holds only
/// unreserved characters and `%XX`, and decodes back to its bytes.
func fuzzS3Responses(_ input: UnsafeRawBufferPointer) {
    let data = Data(input)
    if let id = try? S3Responses.uploadID(data) { FuzzDriver.require(!id.isEmpty, "empty upload id") }
    _ = try? S3Responses.completion(data)
    _ = S3Responses.error(data)
    if let listing = try? S3Responses.uploads(data) {
        FuzzDriver.require(listing.uploads.allSatisfy { !$0.uploadID.isEmpty }, "an upload without an id")
        if let next = listing.next { FuzzDriver.require(!(next.keyMarker.isEmpty && next.uploadIDMarker.isEmpty), "a next page going nowhere") }
    }
    let text = String(decoding: input, as: UTF8.self)
    for keepingSlash in [true, false] {
        let encoded = S3Addressing.encode(text, keepingSlash: keepingSlash)
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%" + (keepingSlash ? "/" : ""))
        FuzzDriver.require(encoded.allSatisfy { allowed.contains($0) }, "unsafe character in \(encoded)")
        FuzzDriver.require(encoded.removingPercentEncoding == text, "encoding does not decode back")
    }
}
