import Yams

/// Decodes any `Decodable` from a YAML node, remembering where each value came from so that
/// every problem is reported at its line and column, and noting which keys of each mapping were
/// asked for, so that keys nobody knows are reported too (with a did-you-mean).
final class DecodingSession {
    struct MappingUse {
        var node: Node.Mapping
        var known: Set<String> = []
        var failed = false
    }

    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    private var mappings: [MarkKey: MappingUse] = [:]
    /// Keys handled outside the decoded type (a stage's `type` and `inputs`).
    var reservedKeys: [MarkKey: Set<String>] = [:]
    /// Values that named an unset variable: reported once, not checked again for their form.
    var unresolved: Set<MarkKey> = []

    init(file: String) { self.file = file }

    struct MarkKey: Hashable {
        var line: Int
        var column: Int
        init(_ mark: Mark?) {
            line = mark?.line ?? 0
            column = mark?.column ?? 0
        }
    }

    func error(_ message: String, at mark: Mark?) {
        diagnostics.append(Diagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, severity: .error, message: message))
    }

    func error(_ message: String, line: Int, column: Int) {
        diagnostics.append(Diagnostic(file: file, line: line, column: column, severity: .error, message: message))
    }

    func warning(_ message: String, at mark: Mark?) {
        diagnostics.append(Diagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, severity: .warning, message: message))
    }

    func noteKey(_ key: String, in mapping: Node.Mapping) {
        mappings[MarkKey(mapping.mark), default: MappingUse(node: mapping)].known.insert(key)
    }

    func noteFailure(in mapping: Node.Mapping) {
        mappings[MarkKey(mapping.mark), default: MappingUse(node: mapping)].failed = true
    }

    /// Decodes `type` from `node`; a failure becomes a diagnostic and nil.
    func decode<T: Decodable>(_ type: T.Type, from node: Node, path: [String]) -> T? {
        do {
            return try T(from: NodeDecoder(node: node, session: self, codingPath: path.map { AnyKey($0) }))
        } catch let error as LocatedError {
            self.error(error.message, at: error.mark)
        } catch let error as DecodingError {
            self.error(Self.describe(error), at: Self.node(at: Self.codingPath(of: error).dropFirst(path.count), in: node)?.mark ?? node.mark)
        } catch {
            self.error("\(error)", at: node.mark)
        }
        if case .mapping(let mapping) = node { noteFailure(in: mapping) }
        return nil
    }

    /// Reports the keys of every decoded mapping that no decoder asked for.
    func reportUnknownKeys() {
        for use in mappings.values where !use.failed {
            let known = use.known.union(reservedKeys[MarkKey(use.node.mark)] ?? [])
            for (key, _) in use.node {
                guard let name = key.string, !known.contains(name) else { continue }
                error("unknown key '\(name)'\(Suggestion.didYouMean(name, in: known))", at: key.mark)
            }
        }
    }

    static func codingPath(of error: DecodingError) -> [any CodingKey] {
        switch error {
        case .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath
        @unknown default: []
        }
    }

    /// The node a coding path leads to, for placing errors thrown by user types.
    static func node(at path: some Sequence<any CodingKey>, in root: Node) -> Node? {
        var current = root
        for key in path {
            switch current {
            case .mapping(let mapping):
                guard let next = mapping.first(where: { $0.key.string == key.stringValue })?.value else { return current }
                current = next
            case .sequence(let sequence):
                guard let index = key.intValue, index < sequence.count else { return current }
                current = Array(sequence)[index]
            default:
                return current
            }
        }
        return current
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing required key '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context.debugDescription
        @unknown default: "\(error)"
        }
    }
}

/// An error at a known place in the file.
struct LocatedError: Error {
    var message: String
    var mark: Mark?
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

struct NodeDecoder: Decoder {
    let node: Node
    let session: DecodingSession
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else {
            throw LocatedError(message: "\(pathText) must be a mapping (key: value pairs), not \(node.kindName)", mark: node.mark)
        }
        return KeyedDecodingContainer(MappingContainer<Key>(mapping: mapping, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else {
            throw LocatedError(message: "\(pathText) must be a list, not \(node.kindName)", mark: node.mark)
        }
        return SequenceContainer(items: Array(sequence), decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ScalarContainer(decoder: self) }

    var pathText: String { codingPath.isEmpty ? "the document" : "'\(codingPath.map(\.stringValue).joined(separator: "."))'" }

    func child(_ node: Node, key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, session: session, codingPath: codingPath + [key])
    }
}

extension Node {
    var kindName: String {
        switch self {
        case .scalar(let scalar): "the value '\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}

private struct MappingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let mapping: Node.Mapping
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        mapping.keys.compactMap { $0.string }.compactMap { name in
            decoder.session.noteKey(name, in: mapping)
            return Key(stringValue: name)
        }
    }

    private func value(_ key: Key) -> Node? {
        decoder.session.noteKey(key.stringValue, in: mapping)
        return mapping.first { $0.key.string == key.stringValue }?.value
    }

    func contains(_ key: Key) -> Bool { value(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let node = value(key) else { return true }
        if case .scalar(let scalar) = node, scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let node = value(key) else {
            let known = Suggestion.didYouMean(key.stringValue, in: mapping.keys.compactMap(\.string))
            throw LocatedError(message: "missing required key '\(key.stringValue)' in \(decoder.pathText)\(known)", mark: mapping.mark)
        }
        return try value(T.self, at: node, key: key)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard try !decodeNil(forKey: key), let node = value(key) else { return nil }
        return try value(T.self, at: node, key: key)
    }

    /// Decodes one value. A value that is not one of a fixed set of choices says which they are;
    /// a failure leaves this mapping's other keys unreported (they were not looked at, not unknown).
    private func value<T: Decodable>(_ type: T.Type, at node: Node, key: Key) throws -> T {
        do {
            return try T(from: decoder.child(node, key: key))
        } catch DecodingError.dataCorrupted where Choices.names(of: T.self) != nil && node.scalar != nil {
            decoder.session.noteFailure(in: mapping)
            let names = Choices.names(of: T.self)!, given = node.scalar!.string
            throw LocatedError(
                message: "\(key.stringValue) must be \(Choices.list(names)), not '\(given)'\(Suggestion.didYouMean(given, in: names))",
                mark: node.mark)
        } catch {
            decoder.session.noteFailure(in: mapping)
            throw error
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        guard let node = value(key) else { throw LocatedError(message: "missing required key '\(key.stringValue)'", mark: mapping.mark) }
        return try decoder.child(node, key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        guard let node = value(key) else { throw LocatedError(message: "missing required key '\(key.stringValue)'", mark: mapping.mark) }
        return try decoder.child(node, key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        guard let node = value(key) else { throw LocatedError(message: "missing required key '\(key.stringValue)'", mark: mapping.mark) }
        return decoder.child(node, key: key)
    }
}

private struct SequenceContainer: UnkeyedDecodingContainer {
    let items: [Node]
    let decoder: NodeDecoder
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func nextDecoder() throws -> NodeDecoder {
        guard !isAtEnd else { throw LocatedError(message: "\(decoder.pathText) has too few items", mark: decoder.node.mark) }
        defer { currentIndex += 1 }
        return decoder.child(items[currentIndex], key: AnyKey(intValue: currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .scalar(let scalar) = items[currentIndex], scalar.string == "null" || scalar.string == "~" else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: try nextDecoder()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try nextDecoder().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try nextDecoder().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try nextDecoder() }
}

private struct ScalarContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    private func scalar(_ expected: String) throws -> Node.Scalar {
        guard case .scalar(let scalar) = decoder.node else {
            throw LocatedError(message: "\(decoder.pathText) must be \(expected), not \(decoder.node.kindName)", mark: decoder.node.mark)
        }
        return scalar
    }

    private func mismatch(_ expected: String, _ scalar: Node.Scalar) -> LocatedError {
        LocatedError(message: "\(decoder.pathText) must be \(expected), not '\(scalar.string)'", mark: scalar.mark)
    }

    func decodeNil() -> Bool {
        if case .scalar(let scalar) = decoder.node { return scalar.style == .plain && ["", "~", "null"].contains(scalar.string) }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        let scalar = try scalar("true or false")
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw mismatch("true or false", scalar)
        }
    }

    func decode(_ type: String.Type) throws -> String {
        let scalar = try scalar("a string")
        return scalar.string
    }

    func decode(_ type: Double.Type) throws -> Double {
        let scalar = try scalar("a number")
        guard let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")) else { throw mismatch("a number", scalar) }
        return value
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Int.self { return try integer(Int.self) as! T }
        if T.self == Int64.self { return try integer(Int64.self) as! T }
        if T.self == Int32.self { return try integer(Int32.self) as! T }
        if T.self == UInt64.self { return try integer(UInt64.self) as! T }
        if T.self == UInt.self { return try integer(UInt.self) as! T }
        return try T(from: decoder)
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }

    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let scalar = try scalar("a whole number")
        guard let value = I(scalar.string.replacingOccurrences(of: "_", with: "")) else { throw mismatch("a whole number", scalar) }
        return value
    }
}

/// The names of a string enum's cases, for "must be one of" messages.
enum Choices {
    static func names(of type: Any.Type) -> [String]? {
        guard let iterable = type as? any CaseIterable.Type else { return nil }
        return names(iterable)
    }

    /// `a`, `a or b`, `a, b or c`
    static func list(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    private static func names<T: CaseIterable>(_ type: T.Type) -> [String]? {
        let names = T.allCases.compactMap { ($0 as? any RawRepresentable).map { "\($0.rawValue)" } }
        return names.isEmpty ? nil : names
    }
}
