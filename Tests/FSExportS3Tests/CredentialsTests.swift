import Foundation
import FSExportCore
import Testing

@testable import FSExportS3

@Suite("S3 credentials")
struct CredentialsTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-credentials-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func write(_ text: String, as name: String = "credentials") throws -> String {
        let path = "\(folder)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let file = """
        # written by aws configure
        [default]
        aws_access_key_id = AKIADEFAULT000000000
        aws_secret_access_key = default-secret

        [profile nightly]
        aws_access_key_id=AKIANIGHTLY000000000
        aws_secret_access_key=nightly/secret+with=equals
        aws_session_token = token-of-nightly
        region = eu-west-1
        """

    @Test("The order: the stage's profile, then the environment's keys, then AWS_PROFILE, then the default profile")
    func order() throws {
        let path = try write(Self.file)
        let keys = ["AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT00000", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SHARED_CREDENTIALS_FILE": path]

        let profile = try S3Credentials.resolve(profile: "nightly", credentialsFile: nil, environment: keys)
        #expect(profile.accessKeyID == "AKIANIGHTLY000000000")
        #expect(profile.secretAccessKey == "nightly/secret+with=equals")
        #expect(profile.sessionToken == "token-of-nightly")
        #expect(profile.origin == "profile 'nightly' in \(path)")

        let environment = try S3Credentials.resolve(profile: nil, credentialsFile: nil, environment: keys)
        #expect(environment.accessKeyID == "AKIAENVIRONMENT00000")
        #expect(environment.origin == "AWS_ACCESS_KEY_ID")

        let named = try S3Credentials.resolve(profile: nil, credentialsFile: nil, environment: ["AWS_PROFILE": "nightly", "AWS_SHARED_CREDENTIALS_FILE": path])
        #expect(named.accessKeyID == "AKIANIGHTLY000000000")

        let fallback = try S3Credentials.resolve(profile: nil, credentialsFile: nil, environment: ["HOME": folder, "AWS_SHARED_CREDENTIALS_FILE": path])
        #expect(fallback.accessKeyID == "AKIADEFAULT000000000")

        let explicitFile = try S3Credentials.resolve(profile: nil, credentialsFile: path, environment: keys)
        #expect(explicitFile.accessKeyID == "AKIADEFAULT000000000", "a credentials_file wins over the environment's keys")
    }

    @Test("Missing or broken credentials say what is missing and where, never a secret")
    func failures() throws {
        let path = try write(Self.file)
        func message(_ profile: String?, _ file: String?, _ environment: [String: String]) -> String {
            do {
                _ = try S3Credentials.resolve(profile: profile, credentialsFile: file, environment: environment)
                return "no error"
            } catch { return error.description }
        }
        #expect(message("prod", path, [:]) == "profile 'prod' is not in \(path) (it has: default, nightly)")
        #expect(message(nil, nil, ["HOME": folder]).hasPrefix("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
        #expect(message(nil, nil, ["AWS_ACCESS_KEY_ID": "AKIA"]).contains("AWS_SECRET_ACCESS_KEY is not"))
        #expect(message(nil, "\(folder)/absent", [:]).hasPrefix("cannot read the credentials file \(folder)/absent"))

        let half = try write("[default]\naws_access_key_id = AKIAHALF\n", as: "half")
        #expect(message(nil, half, [:]) == "profile 'default' in \(half) needs both aws_access_key_id and aws_secret_access_key")

        let broken = try write("[default]\naws_access_key_id = AKIA\nthis line is not a setting\naws_secret_access_key = hidden-secret\n", as: "broken")
        let said = message(nil, broken, [:])
        #expect(said == "\(broken), line 3: expected 'name = value' or a '[profile]' header")
        #expect(!said.contains("hidden-secret"))
    }

    @Test("Hostile credentials files: empty, headers only, a setting before any header, huge, binary")
    func hostileFiles() throws {
        #expect(try SharedCredentialsFile(parsing: "").profiles.isEmpty)
        #expect(try SharedCredentialsFile(parsing: "[a]\n[b]\n").profiles.keys.sorted() == ["a", "b"])
        #expect(throws: SharedCredentialsFile.ParseError(line: 1, message: "a setting before any '[profile]' header")) {
            try SharedCredentialsFile(parsing: "aws_access_key_id = x\n")
        }
        #expect(throws: SharedCredentialsFile.ParseError(line: 2, message: "a section header is '[name]'")) {
            try SharedCredentialsFile(parsing: "[a]\n[]\n")
        }
        let windows = try SharedCredentialsFile(parsing: "[default]\r\naws_access_key_id = AKIA\r\naws_secret_access_key = s\r\n")
        #expect(windows.profiles["default"] == ["aws_access_key_id": "AKIA", "aws_secret_access_key": "s"], "a file saved on Windows (CRLF)")
        #expect(throws: SharedCredentialsFile.ParseError(line: 2, message: "a setting without a name before '='")) {
            try SharedCredentialsFile(parsing: "[a]\n = x\n")
        }
        let huge = try write(String(repeating: "# padding\n", count: 120_000), as: "huge")
        #expect(throws: SinkError.self) { try S3Credentials.resolve(profile: nil, credentialsFile: huge, environment: [:]) }
        let binary = "\(folder)/binary"
        try Data([0xFF, 0xFE, 0x00, 0x5B]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: SinkError.self) { try S3Credentials.resolve(profile: nil, credentialsFile: binary, environment: [:]) }
    }
}
