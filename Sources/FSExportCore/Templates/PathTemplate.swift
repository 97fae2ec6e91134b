import Foundation

/// A file name pattern such as `raw/{start:%Y/%m/%d}/{id}.json.gz`.
///
/// Placeholders: `{id}`, `{start}` and `{stop}` (unix seconds), `{start:FORMAT}` and
/// `{stop:FORMAT}` (strftime on the UTC time: `%Y %m %d %H %M %S %j %F %T %s %%`), and, where the
/// stage offers them, `{name}` (an upstream file's name), `{part}` (part number, 4 digits) and
/// `{value}` (the split field's value as a safe file name, one name per value: see
/// ``splitValueName(_:)``). `{{` and `}}` are literal braces.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    public enum Placeholder: String, Sendable, CaseIterable {
        case id, start, stop, name, part, value
    }

    enum Piece: Sendable, Hashable {
        case literal(String)
        case field(Placeholder, format: String?)
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// Character offset in the template.
        public var offset: Int
        public var message: String
        public var description: String { message }
    }

    public let source: String
    let pieces: [Piece]

    public var description: String { source }

    /// Parses `text`, accepting only the placeholders in `allowed`.
    public init(_ text: String, allowed: Set<Placeholder>) throws(ParseError) {
        source = text
        var pieces: [Piece] = []
        var literal = ""
        let characters = Array(text)
        var i = 0
        while i < characters.count {
            let character = characters[i]
            if character == "{", i + 1 < characters.count, characters[i + 1] == "{" {
                literal.append("{")
                i += 2
                continue
            }
            if character == "}", i + 1 < characters.count, characters[i + 1] == "}" {
                literal.append("}")
                i += 2
                continue
            }
            if character == "}" { throw ParseError(offset: i, message: "unmatched '}' (write '}}' for a literal brace)") }
            guard character == "{" else {
                literal.append(character)
                i += 1
                continue
            }
            guard let close = characters[i...].firstIndex(of: "}") else {
                throw ParseError(offset: i, message: "unclosed '{' (write '{{' for a literal brace)")
            }
            let body = String(characters[(i + 1)..<close])
            let (name, format) = body.firstIndex(of: ":").map { (String(body[..<$0]), String(body[body.index(after: $0)...])) } ?? (body, nil)
            guard let placeholder = Placeholder(rawValue: name), allowed.contains(placeholder) else {
                let options = Placeholder.allCases.filter(allowed.contains).map { "{\($0.rawValue)}" }.joined(separator: ", ")
                throw ParseError(offset: i, message: "unknown placeholder {\(name)}: this template can use \(options)")
            }
            if let format {
                guard placeholder == .start || placeholder == .stop else {
                    throw ParseError(offset: i, message: "{\(name)} takes no format; only {start:…} and {stop:…} do")
                }
                try Self.checkFormat(format, offset: i + name.count + 2)
            }
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
            pieces.append(.field(placeholder, format: format))
            i = close + 1
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    /// Refuses a template whose names would not stay below their folder (empty, absolute, `..`),
    /// so that `validate` reports what every run would fail. Placeholders render safe values, so
    /// one rendering with sample values shows what the literal text does.
    public func checkRelative(option: String) throws(SinkError) {
        let sample = render(Values(id: 170_406_720_048, start: 1_704_067_200, stop: 1_704_153_600, name: "name", part: 1, value: "value"))
        if source.isEmpty { throw SinkError(option: option, "is empty; give a file name such as {id}.json.gz") }
        if sample.hasPrefix("/") { throw SinkError(option: option, offset: 0, "'\(source)' is absolute; names are relative to the stage's root") }
        do { try Artifact.validate(name: sample) } catch {
            throw SinkError(option: option, "'\(source)' would leave its folder or has an empty part ('..', '.', '//'); names must stay below the stage's root")
        }
    }

    /// The text before the first placeholder: every rendering starts with it (an object store's
    /// listing prefix).
    public var literalPrefix: String {
        var prefix = ""
        for piece in pieces {
            guard case .literal(let text) = piece else { break }
            prefix += text
        }
        return prefix
    }

    /// Whether the template uses a placeholder.
    public func uses(_ placeholder: Placeholder) -> Bool {
        pieces.contains { if case .field(placeholder, _) = $0 { true } else { false } }
    }

    /// The values a template is filled with.
    public struct Values: Sendable {
        public var id: Int64
        public var start: Int64
        public var stop: Int64
        public var name: String?
        public var part: Int?
        public var value: String?
        /// Placeholders whose values are not known yet (a dry run, before any event is decoded):
        /// they render as themselves, `{part}` and `{value}`.
        public var unknown: Set<Placeholder> = []

        public init(id: Int64, start: Int64, stop: Int64, name: String? = nil, part: Int? = nil, value: String? = nil) {
            self.id = id
            self.start = start
            self.stop = stop
            self.name = name
            self.part = part
            self.value = value
        }

        public init(_ bundle: BundleContext, name: String? = nil, part: Int? = nil, value: String? = nil) {
            self.init(id: bundle.id, start: bundle.start, stop: bundle.stop, name: name, part: part, value: value)
        }

        /// A listed bundle's values, for planning.
        public init(_ bundle: ExportBundle, name: String? = nil, unknown: Set<Placeholder> = []) {
            self.init(id: bundle.id, start: bundle.start, stop: bundle.stop, name: name)
            self.unknown = unknown
        }

        /// For a dry run: `name` is an upstream stage's planned name, whose `{part}` and `{value}`
        /// (decided only by decoding) stay placeholders here too.
        public init(_ bundle: ExportBundle, plannedName name: String?) {
            let unknown = name.map { name in Set([Placeholder.part, .value].filter { name.contains("{\($0.rawValue)}") }) } ?? []
            self.init(bundle, name: name, unknown: unknown)
        }
    }

    public func render(_ values: Values) -> String {
        var result = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): result += text
            case .field(.id, _): result += String(values.id)
            case .field(.start, let format): result += format.map { Self.strftime($0, values.start) } ?? String(values.start)
            case .field(.stop, let format): result += format.map { Self.strftime($0, values.stop) } ?? String(values.stop)
            case .field(.name, _): result += values.name ?? ""
            case .field(.part, _) where values.unknown.contains(.part): result += "{part}"
            case .field(.value, _) where values.unknown.contains(.value): result += "{value}"
            case .field(.part, _): result += Self.pad(Int64(values.part ?? 0), 4)
            case .field(.value, _): result += Self.splitValueName(values.value ?? "")
            }
        }
        return result
    }

    // MARK: - Formatting

    private static let formatLetters: Set<Character> = ["Y", "m", "d", "H", "M", "S", "j", "F", "T", "s", "%"]

    private static func checkFormat(_ format: String, offset: Int) throws(ParseError) {
        var iterator = format.enumerated().makeIterator()
        while let (index, character) = iterator.next() {
            guard character == "%" else { continue }
            guard let (_, letter) = iterator.next(), formatLetters.contains(letter) else {
                throw ParseError(offset: offset + index, message: "unsupported time format in '\(format)': use %Y %m %d %H %M %S %j %F %T %s %%")
            }
        }
    }

    static func strftime(_ format: String, _ time: Int64) -> String {
        let c = Timestamp.components(time)
        var result = ""
        var percent = false
        for character in format {
            guard percent else {
                if character == "%" { percent = true } else { result.append(character) }
                continue
            }
            percent = false
            switch character {
            case "Y": result += pad(c.year, 4)
            case "m": result += pad(c.month, 2)
            case "d": result += pad(c.day, 2)
            case "H": result += pad(c.hour, 2)
            case "M": result += pad(c.minute, 2)
            case "S": result += pad(c.second, 2)
            case "j": result += pad(time / 86_400 - Timestamp.unixSeconds(year: c.year, month: 1, day: 1) / 86_400 + 1, 3)
            case "F": result += "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
            case "T": result += "\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
            case "s": result += String(time)
            default: result.append("%")
            }
        }
        return result
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The file name of a split value: the value itself when it is already a safe name, otherwise
    /// its safe form followed by `~` and a hash of the value. `~` never survives cleaning, so a
    /// hashed name cannot equal a value kept as it is, and values that clean alike (`Buy now`,
    /// `Buy/now`) or differ only past the cut get names of their own. A pure function of the
    /// value, in its Unicode normal form C: the same value has the same name in every bundle and
    /// every run, however its characters were composed (`é` as one code point or as `e` and a
    /// combining accent, which a split treats as one value, as Swift compares them).
    public static func splitValueName(_ value: String) -> String {
        let value = value.precomposedStringWithCanonicalMapping
        let clean = safeFileName(value)
        guard clean != value else { return clean }
        return "\(clean)~\(StableHash.hex(value))"
    }

    /// A field value as one safe path component: letters, digits and `-_.=+@,` kept (any script),
    /// everything else `_`; never empty, `.` or `..`; at most 90 bytes (a hashed name is at most
    /// 115, far below the 255 a file system allows).
    public static func safeFileName(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            let keep = scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.=+@,".unicodeScalars.contains(scalar)
            result.unicodeScalars.append(keep ? scalar : "_")
            if result.utf8.count >= 90 { break }
        }
        if result.isEmpty || result == "." || result == ".." { return "_" + result }
        return result
    }
}
