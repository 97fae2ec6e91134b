#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The value of one top-level field of an event.
public enum JSONField: Sendable, Equatable {
    case string(String)
    /// A number, as written (IDs can exceed what a Double holds exactly).
    case number(String)
    case bool(Bool)
    case null
    /// An object or array, as its JSON text.
    case json(String)

    /// The value as text: a string unescaped, anything else as its JSON.
    public var text: String {
        switch self {
        case .string(let value), .number(let value), .json(let value): value
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }
}

/// Reads an event's top-level fields without building the object: one field by its key, or each
/// field in turn.
package enum FieldLookup {
    /// When a key appears more than once, the last one wins, as in jq and most JSON readers.
    static func find(_ name: String, in object: UnsafeRawBufferPointer) -> JSONField? {
        rawValue(name, Array(name.utf8), in: object).map(value)
    }

    /// The raw JSON of the key's value (a string with its quotes), without making any String.
    static func rawValue(_ name: String, _ nameUTF8: [UInt8], in object: UnsafeRawBufferPointer) -> UnsafeBufferPointer<UInt8>? {
        var found: UnsafeBufferPointer<UInt8>?
        forEachField(in: object) { rawKey, value in
            // Most keys differ in length; a key spelled with escapes is longer than its text.
            let matches =
                rawKey.count == nameUTF8.count
                ? (rawKey.elementsEqual(nameUTF8) || (rawKey.contains(UInt8(ascii: "\\")) && unescape(rawKey) == name))
                : rawKey.count > nameUTF8.count && rawKey.contains(UInt8(ascii: "\\")) && unescape(rawKey) == name
            if matches { found = value }
        }
        return found
    }

    /// Calls `body` with each top-level field of `object` (an event's JSON object, already checked
    /// as JSON): the key as written between its quotes, escapes not undone, and the value's raw
    /// JSON (a string with its quotes).
    package static func forEachField(
        in object: UnsafeRawBufferPointer, _ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        var fields = Fields(object)
        while let (key, value) = fields.next() { try body(key, value) }
    }

    /// The top-level fields of an event's JSON object (already checked as JSON), one at a time: for
    /// a loop that must not go through a closure (a hot one, in a struct's mutating method).
    package struct Fields {
        private let bytes: UnsafeBufferPointer<UInt8>
        private var i = 1  // past '{'
        private var done = false

        package init(_ object: UnsafeRawBufferPointer) { bytes = object.bindMemory(to: UInt8.self) }

        /// The next field: its key as written between its quotes, and its value's raw JSON.
        package mutating func next() -> (key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)? {
            guard !done, let keyStart = nextQuote(bytes, from: i) else { return nil }
            let keyEnd = stringEnd(bytes, from: keyStart + 1)
            let rawKey = UnsafeBufferPointer(rebasing: bytes[(keyStart + 1)..<keyEnd])
            i = keyEnd + 1
            while i < bytes.count, bytes[i] != UInt8(ascii: ":") { i += 1 }
            i += 1
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            let valueEnd = skipValue(bytes, from: i)
            let value = UnsafeBufferPointer(rebasing: bytes[i..<Swift.min(valueEnd, bytes.count)])
            i = valueEnd
            while i < bytes.count, bytes[i] != UInt8(ascii: ",") && bytes[i] != UInt8(ascii: "}") { i += 1 }
            if i >= bytes.count || bytes[i] == UInt8(ascii: "}") { done = true } else { i += 1 }
            return (rawKey, value)
        }
    }

    static func value(_ raw: UnsafeBufferPointer<UInt8>) -> JSONField {
        switch raw.first {
        case UInt8(ascii: "\""): return .string(unescape(UnsafeBufferPointer(rebasing: raw[1..<(raw.count - 1)])))
        case UInt8(ascii: "t"): return .bool(true)
        case UInt8(ascii: "f"): return .bool(false)
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "{"), UInt8(ascii: "["): return .json(String(decoding: raw, as: UTF8.self))
        default: return .number(String(decoding: raw, as: UTF8.self))
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private static func nextQuote(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\"") { return i }
            if bytes[i] == UInt8(ascii: "}") { return nil }
            i += 1
        }
        return nil
    }

    /// The index of the closing quote of a string whose content starts at `start`.
    private static func stringEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        // memchr finds each quote at vector speed; a quote after an odd run of backslashes is escaped.
        guard let base = bytes.baseAddress else { return bytes.count }
        var i = start
        while i < bytes.count {
            guard let found = memchr(base + i, Int32(UInt8(ascii: "\"")), bytes.count - i) else { return bytes.count }
            let quote = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var backslashes = 0
            while quote - backslashes - 1 >= start, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 { return quote }
            i = quote + 1
        }
        return bytes.count
    }

    /// The index just past the value starting at `start`.
    private static func skipValue(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count else { return start }
        if bytes[start] == UInt8(ascii: "\"") { return stringEnd(bytes, from: start + 1) + 1 }
        var depth = 0
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""): i = stringEnd(bytes, from: i + 1)
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
                if depth == 0 { return i + 1 }
            case UInt8(ascii: ","):
                if depth == 0 { return i }
            case 0x20, 0x0A, 0x0D, 0x09:
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return i
    }

    /// Appends a JSON string's content (without its quotes), unescaped, as UTF-8: no String made.
    /// An escaped lone surrogate becomes U+FFFD, as in ``unescape(_:)``.
    package static func unescape(_ raw: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        guard raw.contains(UInt8(ascii: "\\")) else {
            output.append(contentsOf: raw)
            return
        }
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\"), i + 1 < raw.count else {
                output.append(byte)
                i += 1
                continue
            }
            let kind = raw[i + 1]
            i += 2
            switch kind {
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "u"):
                guard var code = hex4(raw, i) else { continue }
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"),
                    raw[i + 1] == UInt8(ascii: "u"), let low = hex4(raw, i + 2), (0xDC00..<0xE000).contains(low)
                {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                output.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
            default: output.append(kind)
            }
        }
    }

    private static func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
        guard at + 4 <= raw.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = Character(Unicode.Scalar(raw[at + offset])).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Decodes a JSON string's content (without its quotes).
    package static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        unescape(raw, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One field read from many events, as a split reads it: each distinct value's text is made once,
/// and an event whose raw value was seen before costs a hash and a compare, no String. The
/// memory is bounded: past `capacity` distinct values the remembered ones are dropped.
///
/// When the batch's decoder noted this field (``ReadsField``), the value is taken from where the
/// decoder found it; otherwise the event is walked to its top-level key.
public struct FieldTexts {
    private let name: String
    private let nameUTF8: [UInt8]
    private let capacity: Int
    private var known: [Int: [(raw: [UInt8], text: String)]] = [:]
    private var count = 0

    public init(field name: String, capacity: Int = 4096) {
        self.name = name
        nameUTF8 = Array(name.utf8)
        self.capacity = capacity
    }

    /// The field's value as ``JSONField/text``, or nil when the event has no such field.
    public mutating func text(of event: Event) -> String? {
        text(ofEventAt: event.index, in: event.batch)
    }

    /// The same for the batch's event at `index`, without making an ``Event`` (which holds the batch).
    public mutating func text(ofEventAt index: Int, in batch: EventBatch) -> String? {
        if let noted = batch.fieldIndex, noted.field == name {
            switch noted.values[index] {
            case .absent: return nil
            case .at(let range): return batch.bytes.withUnsafeBytes { text(ofRaw: UnsafeBufferPointer(rebasing: $0.bindMemory(to: UInt8.self)[range])) }
            case .unknown: break
            }
        }
        return batch.bytes.withUnsafeBytes { all in
            FieldLookup.rawValue(name, nameUTF8, in: UnsafeRawBufferPointer(rebasing: all[batch.ranges[index]])).map { text(ofRaw: $0) }
        }
    }

    /// The text of a raw JSON value, made once per distinct value.
    private mutating func text(ofRaw raw: UnsafeBufferPointer<UInt8>) -> String {
        var hash = 14_695_981_039_346_656_037 as UInt64  // FNV-1a
        for byte in raw { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        let key = Int(truncatingIfNeeded: hash)
        if let found = known[key]?.first(where: { $0.raw.elementsEqual(raw) }) { return found.text }
        let text = FieldLookup.value(raw).text
        if count >= capacity {
            known.removeAll(keepingCapacity: true)
            count = 0
        }
        known[key, default: []].append((Array(raw), text))
        count += 1
        return text
    }
}
