/// Text that came from outside fsexport (a server's answer, a program's standard error, a file's
/// contents) made fit to show in a message: every secret redacted (``Secrets/redacted(_:)``),
/// control characters written out (`\n`, `\u001b`), so that no answer can forge a log line or
/// drive the terminal, and the length bounded. The one step such text passes through before it
/// reaches a log line, an error or a file; the log handler applies the first two to every line.
package enum OutsideText {
    /// `text` redacted, escaped, and cut to `limit` characters (with `…`).
    package static func shown(_ text: some StringProtocol, limit: Int = 300) -> String {
        let safe = escapingControls(Secrets.redacted(String(text)))
        return safe.count > limit ? safe.prefix(limit) + "…" : safe
    }

    /// Bytes decoded as UTF-8 (invalid sequences replaced), then as ``shown(_:limit:)``.
    package static func shown(bytes: some Collection<UInt8>, limit: Int = 300) -> String {
        shown(String(decoding: Array(bytes), as: UTF8.self), limit: limit)
    }

    /// `text` with control characters, and the characters that reorder text on a terminal,
    /// written as escapes: one line, shown as it is.
    package static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0 and C1 controls, DEL, and the bidirectional overrides and isolates.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
