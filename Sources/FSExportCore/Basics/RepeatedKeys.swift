import Foundation

/// Finds a key repeated in one JSON object. Decoders resolve repeats by habit (Foundation's keeps
/// the first, jq and fsexport's event scanner the last), so a document that fsexport acts on (an
/// API answer, the state file) must not have any: one that does is refused as a data error, and
/// no decoder's habit decides whether an export FAILED or COMPLETED. Events are data, not
/// instructions: they keep every key as written, and a reader of one field takes the last.
package enum RepeatedKeys {
    /// The first key that an object of `data` repeats (compared once unescaped: `"state"` and
    /// `"st\u0061te"` are one key), or nil. Malformed JSON is for the decoder to refuse: nil.
    package static func first(in data: Data) -> String? {
        data.withUnsafeBytes { first(in: $0) }
    }

    private enum Container {
        case object(expectingKey: Bool)
        case array
    }

    private static func first(in bytes: UnsafeRawBufferPointer) -> String? {
        var stack: [Container] = []
        var keys: [Set<String>] = []  // one set per open object, mutated in place
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                stack.append(.object(expectingKey: true))
                keys.append([])
            case UInt8(ascii: "["): stack.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if case .object? = stack.popLast() { _ = keys.popLast() }
            case UInt8(ascii: ","):
                if case .object? = stack.last { stack[stack.count - 1] = .object(expectingKey: true) }
            case UInt8(ascii: "\""):
                guard let (text, end) = string(bytes, from: index + 1) else { return nil }
                index = end
                if case .object(expectingKey: true)? = stack.last {
                    guard keys[keys.count - 1].insert(text).inserted else { return text }
                    stack[stack.count - 1] = .object(expectingKey: false)
                }
            default: break
            }
            index += 1
        }
        return nil
    }

    /// The string starting after its opening quote at `start`, unescaped, and the index of its
    /// closing quote; nil when it does not close or has a bad escape.
    private static func string(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (String, Int)? {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var index = start
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush()
                return (String(scalars), index)
            }
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { return nil }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "u"):
                guard var unit = hex(bytes, at: index) else { return nil }
                index += 4
                if (0xD800..<0xDC00).contains(unit), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u"), let low = hex(bytes, at: index + 2), (0xDC00..<0xE000).contains(low)
                {
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                flush()
                scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
            case UInt8(ascii: "n"): raw.append(0x0A)
            case UInt8(ascii: "t"): raw.append(0x09)
            case UInt8(ascii: "r"): raw.append(0x0D)
            case UInt8(ascii: "b"): raw.append(0x08)
            case UInt8(ascii: "f"): raw.append(0x0C)
            default: raw.append(escape)  // \" \\ \/ (and what a decoder refuses anyway)
            }
        }
        return nil
    }

    private static func hex(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[index + offset])).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
