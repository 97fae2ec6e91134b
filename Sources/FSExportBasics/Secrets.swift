import Synchronization

/// Every secret this process has loaded (the API key, an S3 secret key and session token, a
/// database password), so that none leaves the process: a child's environment never carries
/// one, whatever variable it came from (`api_key: ${MY_FS_KEY}`), and no text that came from
/// outside shows one, however a server or a program echoed it (``redacted(_:)``).
package enum Secrets {
    private static let known = Mutex<Set<String>>([])

    /// Adds a secret (the API key, S3 and database credentials do when they are loaded).
    package static func remember(_ secret: String) {
        guard !secret.isEmpty else { return }
        known.withLock { _ = $0.insert(secret) }
    }

    /// Whether `value` holds a secret: is one, or has one inside (`Basic KEY`). Inside only counts
    /// for secrets of 8 characters or more, so that a short test key cannot match every `PATH`.
    package static func contains(in value: String) -> Bool {
        // Bytes, not Foundation's contains, which on Linux stops a string at its first NUL.
        known.withLock { keys in keys.contains { value == $0 || ($0.count >= 8 && value.utf8.firstRange(of: $0.utf8) != nil) } }
    }

    /// The environment without any variable whose value holds a secret, nor `FULLSTORY_API_KEY`.
    package static func scrubbed(_ environment: [String: String]) -> [String: String] {
        environment.filter { $0.key != "FULLSTORY_API_KEY" && !contains(in: $0.value) }
    }

    /// What replaces a secret in text.
    package static let mark = "<redacted>"

    /// `text` with every secret this process knows replaced by ``mark``.
    package static func redacted(_ text: String) -> String {
        let secrets = known.withLock { $0 }
        return secrets.isEmpty ? text : redacted(text, hiding: secrets)
    }

    /// `text` with each of `secrets` replaced by ``mark``: as written, percent-encoded (a URL that
    /// carries it, hex in either case) and with `/` escaped as JSON may (`\/`). Every byte of every
    /// occurrence of any of them is hidden, however they overlap. Secrets under 4 bytes are left:
    /// replacing them would garble text and hide nothing.
    package static func redacted(_ text: String, hiding secrets: some Sequence<String>) -> String {
        let bytes = Array(text.utf8)
        var hidden: [Range<Int>] = []
        for secret in secrets where secret.utf8.count >= 4 {
            for form in forms(of: Array(secret.utf8)) { hidden += occurrences(of: form, in: bytes) }
        }
        guard !hidden.isEmpty else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var position = 0
        for range in hidden.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > position {
                result += bytes[position..<range.lowerBound]
                result += mark.utf8
            } else if position == 0 && range.lowerBound == 0 {
                result += mark.utf8
            }
            position = max(position, range.upperBound)
        }
        result += bytes[position...]
        return String(decoding: result, as: UTF8.self)
    }

    /// A secret as written, percent-encoded with upper- and lower-case hex, and JSON-escaped.
    private static func forms(of secret: [UInt8]) -> Set<[UInt8]> {
        let slash = UInt8(ascii: "/"), backslash = UInt8(ascii: "\\")
        var forms: Set<[UInt8]> = [secret, secret.flatMap { $0 == slash ? [backslash, slash] : [$0] }]
        for digits in ["0123456789ABCDEF", "0123456789abcdef"].map({ Array($0.utf8) }) {
            forms.insert(secret.flatMap { byte -> [UInt8] in
                Self.unreserved(byte) ? [byte] : [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            })
        }
        return forms
    }

    /// RFC 3986's unreserved characters, which percent-encoding leaves as they are.
    private static func unreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Range<Int>] {
        guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
        var found: [Range<Int>] = []
        var start = 0
        while start + needle.count <= haystack.count {
            if haystack[start] == needle[0], haystack[start..<start + needle.count].elementsEqual(needle) {
                found.append(start..<start + needle.count)
            }
            start += 1
        }
        return found
    }
}
