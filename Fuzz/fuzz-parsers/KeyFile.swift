import Foundation
import FSExportClient
import FSExportCore
import FuzzDriver

/// A key file's contents: any bytes give a key that is one line with nothing around it, or a
/// configuration error; the key never prints, and any text that echoes it shows it redacted.
func fuzzKeyFile(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    do {
        let key = try APIKey(text)
        FuzzDriver.require(!key.secret.isEmpty, "empty key")
        FuzzDriver.require(key.secret == key.secret.trimmingCharacters(in: .whitespacesAndNewlines), "key with white space around it")
        FuzzDriver.require(!key.secret.contains(where: { $0.isNewline || $0 == "\r" }), "key of several lines")
        FuzzDriver.require(!key.secret.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "key with a control character")
        FuzzDriver.require("\(key)" == "<redacted>" && String(reflecting: key) == "APIKey(<redacted>)", "key printed")
        if key.secret.utf8.count >= 4 {
            // Against this key alone: the registry holds every key the fuzzer ever made.
            for echoed in ["Authorization: Basic \(key.secret)", "{\"a\":\"\(escapingSlashes(key.secret))\"}"] {
                let shown = Secrets.redacted(echoed, hiding: [key.secret])
                // Searched as bytes: Foundation's contains stops a string at a NUL on Linux.
                FuzzDriver.require(
                    shown.utf8.firstRange(of: key.secret.utf8) == nil && shown.utf8.firstRange(of: Secrets.mark.utf8) != nil,
                    "key shown in echoed text: \(shown)")
            }
        }
    } catch {  // every call above throws an ExportError, and no other
        guard case .configuration = error else { fatalError("unexpected error: \(error)") }
    }
}

/// `/` escaped as a JSON encoder does it: every byte, even one that begins a grapheme with a
/// combining mark after it (String's own replacing works on whole characters and would skip it).
private func escapingSlashes(_ text: String) -> String {
    String(decoding: text.utf8.flatMap { $0 == UInt8(ascii: "/") ? Array(#"\/"#.utf8) : [$0] }, as: UTF8.self)
}
