/// The AWS shared credentials file (`~/.aws/credentials`): INI sections of `name = value` lines.
///
/// ```ini
/// [default]
/// aws_access_key_id = AKIA…
/// aws_secret_access_key = …
/// ```
/// `#` and `;` start comment lines; `[profile name]` is read as `[name]`, as the AWS CLI's config
/// file spells it. Keys other than the three credentials are ignored.
struct SharedCredentialsFile: Sendable, Equatable {
    /// The keys of each profile, lower-cased names.
    var profiles: [String: [String: String]]

    struct ParseError: Error, Sendable, CustomStringConvertible, Equatable {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    init(parsing text: String) throws(ParseError) {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ParseError(line: index + 1, message: "a section header is '[name]'")
                }
                var name = line.dropFirst().dropLast().trimmingWhitespace()
                if name.hasPrefix("profile ") { name = name.dropFirst("profile ".count).trimmingWhitespace() }
                guard !name.isEmpty else { throw ParseError(line: index + 1, message: "a section header is '[name]'") }
                current = String(name)
                profiles[String(name), default: [:]] = profiles[String(name)] ?? [:]
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(line: index + 1, message: "expected 'name = value' or a '[profile]' header")
            }
            guard let profile = current else {
                throw ParseError(line: index + 1, message: "a setting before any '[profile]' header")
            }
            let name = line[..<equals].trimmingWhitespace().lowercased()
            let value = line[line.index(after: equals)...].trimmingWhitespace()
            profiles[profile, default: [:]][name] = String(value)
        }
        self.profiles = profiles
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        let text = Substring(self)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return text[first...last]
    }
}
