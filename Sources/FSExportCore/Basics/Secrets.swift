import Foundation
import Synchronization

/// Every secret this process has loaded (the API key, an S3 secret key and session token, a
/// database password), so that none leaves the process: a child's environment never carries
/// one, whatever variable it came from (`api_key: ${MY_FS_KEY}`), and no text that came from
/// outside shows one, however a server or a program echoed it (``redacted(_:)``).
public enum Secrets {
    private static let known = Mutex<Set<String>>([])

    /// Adds a secret (the API key, S3 and database credentials do when they are loaded).
    public static func remember(_ secret: String) {
        guard !secret.isEmpty else { return }
        known.withLock { _ = $0.insert(secret) }
    }

    /// Whether `value` holds a secret: is one, or has one inside (`Basic KEY`). Inside only counts
    /// for secrets of 8 characters or more, so that a short test key cannot match every `PATH`.
    public static func contains(in value: String) -> Bool {
        known.withLock { keys in keys.contains { value == $0 || ($0.count >= 8 && value.contains($0)) } }
    }

    /// The environment without any variable whose value holds a secret, nor `FULLSTORY_API_KEY`.
    public static func scrubbed(_ environment: [String: String]) -> [String: String] {
        environment.filter { $0.key != "FULLSTORY_API_KEY" && !contains(in: $0.value) }
    }

    /// What replaces a secret in text.
    public static let mark = "<redacted>"

    /// `text` with every secret replaced by ``mark``: as written, percent-encoded (a URL that
    /// carries it) and with `/` escaped as JSON may (`\/`). Secrets under 4 characters are left:
    /// replacing them would garble text and hide nothing.
    public static func redacted(_ text: String) -> String {
        let secrets = known.withLock { $0 }
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where secret.count >= 4 {
            for form in forms(of: secret) where result.contains(form) {
                result = result.replacingOccurrences(of: form, with: mark)
            }
        }
        return result
    }

    private static func forms(of secret: String) -> Set<String> {
        var forms: Set<String> = [secret, secret.replacingOccurrences(of: "/", with: "\\/")]
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) {
            forms.insert(encoded)
            // %2f as well as %2F: the escapes' hex in lower case, the rest as it is.
            var lower = "", escape = 0
            for character in encoded {
                if character == "%" { escape = 3 }
                lower.append(escape > 0 ? Character(character.lowercased()) : character)
                escape = max(0, escape - 1)
            }
            forms.insert(lower)
        }
        return forms
    }
}
