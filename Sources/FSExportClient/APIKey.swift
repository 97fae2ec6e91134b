import Foundation
import Synchronization

/// The export API key. It prints as `<redacted>` in every form (description, debug description,
/// `dump`, string interpolation) so that it cannot leak into logs or error messages by accident.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key itself, for building the `Authorization` header and nothing else.
    public let secret: String

    public init(_ secret: String) throws(ExportError) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ExportError.configuration("the API key is empty")
        }
        guard !trimmed.contains(where: { $0.isNewline || $0 == "\r" }) else {
            throw ExportError.configuration("the API key contains a line break; a key file must hold the key alone")
        }
        self.secret = trimmed
        Secrets.remember(trimmed)
    }

    /// Reads the key from the environment variable `FULLSTORY_API_KEY`, or from `keyFile` when given.
    public static func load(keyFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ExportError) -> APIKey {
        if let keyFile {
            let contents: String
            do {
                contents = try String(contentsOfFile: keyFile, encoding: .utf8)
            } catch {
                throw ExportError.configuration("cannot read the API key file \(keyFile): \(error.localizedDescription)")
            }
            return try APIKey(contents)
        }
        guard let value = environment["FULLSTORY_API_KEY"], !value.isEmpty else {
            throw ExportError.configuration(
                "no API key: set FULLSTORY_API_KEY or pass --api-key-file PATH (a file holding only the key)")
        }
        return try APIKey(value)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "APIKey(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// Every API key this process has loaded, so that nothing that leaves the process (a child's
/// environment) carries one, whatever variable it came from (`api_key: ${MY_FS_KEY}`).
public enum Secrets {
    private static let known = Mutex<Set<String>>([])

    static func remember(_ secret: String) { known.withLock { _ = $0.insert(secret) } }

    /// Whether `value` holds a key: is one, or has one inside (`Basic KEY`). Inside only counts for
    /// keys of 8 characters or more, so that a short test key cannot match every `PATH`.
    public static func contains(in value: String) -> Bool {
        known.withLock { keys in keys.contains { value == $0 || ($0.count >= 8 && value.contains($0)) } }
    }

    /// The environment without any variable whose value holds a key, nor `FULLSTORY_API_KEY`.
    public static func scrubbed(_ environment: [String: String]) -> [String: String] {
        environment.filter { $0.key != "FULLSTORY_API_KEY" && !contains(in: $0.value) }
    }
}
