/// The AWS shared credentials file (`~/.aws/credentials`): INI sections of `name = value` lines.
///
/// ```ini
/// [default]
/// aws_access_key_id = AKIA…
/// aws_secret_access_key = …
/// ```
/// `#` and `;` start comment lines; `[profile name]` is read as `[name]`, as the AWS CLI's config
/// file spells it. Keys other than the three credentials are ignored.
package struct SharedCredentialsFile: Sendable, Equatable {
    /// The keys of each profile, lower-cased names.
    package var profiles: [String: [String: String]]

    package struct ParseError: Error, Sendable, CustomStringConvertible, Equatable {
        package var line: Int
        package var message: String
        package var description: String { "line \(line): \(message)" }
    }

    package init(parsing text: String) throws(ParseError) {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        // "\r\n" is one Character in Swift: a file saved on Windows splits there too.
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
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
            guard !name.isEmpty else { throw ParseError(line: index + 1, message: "a setting without a name before '='") }
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
