import Foundation
import FSExportCore

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
