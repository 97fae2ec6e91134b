import Foundation
import FSExportCore

/// An access key for S3, and where it came from (for messages; the secret is never shown).
public struct S3Credentials: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// `AWS_ACCESS_KEY_ID`, or `profile 'prod' in /home/me/.aws/credentials`.
    public var origin: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, origin: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.origin = origin
        Secrets.remember(secretAccessKey)  // redacted from anything shown, and from programs' environments
        if let sessionToken { Secrets.remember(sessionToken) }
    }

    /// The key id as messages show it: its first four and last four characters.
    public var shownKeyID: String {
        accessKeyID.count > 8 ? "\(accessKeyID.prefix(4))…\(accessKeyID.suffix(4))" : "…"
    }

    /// Finds credentials as the AWS CLI does, in this order: the stage's `profile` or
    /// `credentials_file`; `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (and
    /// `AWS_SESSION_TOKEN`); `AWS_PROFILE`; the `default` profile of the shared credentials file
    /// (`AWS_SHARED_CREDENTIALS_FILE`, or `~/.aws/credentials`).
    static func resolve(profile: String?, credentialsFile: String?, environment: [String: String]) throws(SinkError) -> S3Credentials {
        let defaultFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(environment["HOME"] ?? NSHomeDirectory())/.aws/credentials"
        if profile != nil || credentialsFile != nil {
            return try fromFile(credentialsFile ?? defaultFile, profile: profile ?? "default", required: true)!
        }
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw SinkError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or neither and name a profile")
            }
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token, origin: "AWS_ACCESS_KEY_ID")
        }
        if let named = environment["AWS_PROFILE"], !named.isEmpty {
            return try fromFile(defaultFile, profile: named, required: true)!
        }
        if let found = try fromFile(defaultFile, profile: "default", required: false) { return found }
        throw SinkError(
            "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or give the stage "
                + "'profile:' or 'credentials_file:' (read from \(defaultFile) when it exists)")
    }

    private static func fromFile(_ path: String, profile: String, required: Bool) throws(SinkError) -> S3Credentials? {
        let text: String
        do {
            text = String(decoding: try SmallFile.read(path, limit: 1 << 20, what: "the credentials file"), as: UTF8.self)
        } catch {
            guard required || FileManager.default.fileExists(atPath: path) else { return nil }
            throw SinkError("\(error)")
        }
        let file: SharedCredentialsFile
        do { file = try SharedCredentialsFile(parsing: text) } catch { throw SinkError("\(path), \(error)") }
        guard let keys = file.profiles[profile] else {
            guard required else { return nil }
            let known = file.profiles.keys.sorted().joined(separator: ", ")
            throw SinkError("profile '\(profile)' is not in \(path)\(known.isEmpty ? "" : " (it has: \(known))")")
        }
        let origin = "profile '\(profile)' in \(path)"
        guard let id = keys["aws_access_key_id"], !id.isEmpty, let secret = keys["aws_secret_access_key"], !secret.isEmpty else {
            throw SinkError("\(origin) needs both aws_access_key_id and aws_secret_access_key")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: keys["aws_session_token"], origin: origin)
    }
}
