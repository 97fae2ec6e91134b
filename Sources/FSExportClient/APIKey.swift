import Foundation
import FSExportCore
import Logging

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
        // A key goes into an HTTP header: control bytes (NUL, escapes) make it another header or
        // none, and mean the file read is not a key (a binary file, a terminal capture).
        if let control = trimmed.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ExportError.configuration(
                "the API key contains the control character U+\(String(format: "%04X", control.value)); a key file must hold the key alone, as text")
        }
        self.secret = trimmed
        Secrets.remember(trimmed)
    }

    /// A key file holds the key alone: a few dozen bytes. More than this is not a key file.
    public static let maximumFileSize = 4 << 10

    /// Reads the key from the environment variable `FULLSTORY_API_KEY`, or from `keyFile` when given
    /// (a regular file of at most 4 KiB: a folder, a FIFO or a device is refused in words); `warning`
    /// is told when other users can read the key file.
    public static func load(
        keyFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment, warning: Logger? = nil
    ) throws(ExportError) -> APIKey {
        if let keyFile {
            if let exposure = exposure(ofKeyFile: keyFile) { warning?.warning("\(exposure)") }
            let data: Data
            do {
                data = try SmallFile.read(keyFile, limit: maximumFileSize, what: "the API key file")
            } catch {
                throw ExportError.configuration("\(error); it must hold the key alone")
            }
            guard let contents = String(data: data, encoding: .utf8) else {
                throw ExportError.configuration("the API key file \(keyFile) is not UTF-8 text; it must hold the key alone")
            }
            return try APIKey(contents)
        }
        guard let value = environment["FULLSTORY_API_KEY"], !value.isEmpty else {
            throw ExportError.missingKey
        }
        return try APIKey(value)
    }

    /// A warning when the key file at `path` can be read by other users than its owner (as ssh
    /// warns of a private key), nil otherwise.
    public static func exposure(ofKeyFile path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o044 != 0 else { return nil }
        let mode = String(info.st_mode & 0o777, radix: 8)
        return "the API key file \(path) can be read by other users (mode \(mode)): chmod 600 it"
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "APIKey(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
