import Foundation
import FSExportCore

/// Decodes a LIST response leniently, as real responses demand: the trailing comma of the
/// documentation's own example, `ID`/`Id`/`id` in any case, IDs as numbers or strings, extra fields.
///
/// Trailing commas are removed before strict JSON decoding rather than accepted through JSON5:
/// Foundation's JSON5 reader traps on some malformed input (an unquoted key that is not UTF-8),
/// which a hostile server could send.
package enum ListResponse {
    /// Bundles a LIST page holds at most, as the API documents ("the first 20 data export bundles").
    package static let pageSize = 20

    package static func decode(_ data: Data) throws(ExportError) -> [ExportBundle] {
        guard String(data: data, encoding: .utf8) != nil else {
            throw ExportError.invalidResponse("LIST returned something that is not UTF-8 text: \(excerpt(data))")
        }
        if let key = RepeatedKeys.first(in: data) {
            throw ExportError.invalidResponse("LIST answered with the key \"\(OutsideText.shown(key, limit: 80))\" twice in one object, which leaves what it means to chance: \(excerpt(data))")
        }
        do {
            return try JSONDecoder().decode(Page.self, from: removingTrailingCommas(data)).exports.map(\.bundle)
        } catch let error as ExportError {
            throw error
        } catch {
            throw ExportError.invalidResponse("LIST returned something that is not an export list (\(describe(error))): \(excerpt(data))")
        }
    }

    private static func excerpt(_ data: Data) -> String {
        OutsideText.shown(bytes: data.prefix(4096), limit: 200)
    }

    /// The document without commas that end an array or object (`[1, 2,]`), strings left as they are.
    static func removingTrailingCommas(_ data: Data) -> Data {
        var output = Data(capacity: data.count)
        var pendingComma: Int?  // where a comma was copied, until the next non-space byte says whether it trails
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                output.append(byte)
                continue
            }
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09:
                output.append(byte)
                continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if let comma = pendingComma { output[output.startIndex + comma] = 0x20 }
            case UInt8(ascii: "\""):
                inString = true
            default:
                break
            }
            pendingComma = byte == UInt8(ascii: ",") ? output.count : nil
            output.append(byte)
        }
        return output
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context):
            context.debugDescription
        default: "\(error)"
        }
    }

    private struct Page: Decodable {
        var exports: [Entry]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            guard let key = container.allKeys.first(where: { $0.stringValue.lowercased() == "exports" }) else {
                throw ExportError.invalidResponse("no \"exports\" key in the LIST response")
            }
            exports = try container.decodeIfPresent([Entry].self, forKey: key) ?? []
        }
    }

    private struct Entry: Decodable {
        var bundle: ExportBundle

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            func field(_ name: String) throws -> Int64 {
                guard let key = container.allKeys.first(where: { $0.stringValue.lowercased() == name.lowercased() }) else {
                    throw ExportError.invalidResponse("an export entry has no \(name) field")
                }
                if let number = try? container.decode(Int64.self, forKey: key) { return number }
                if let text = try? container.decode(String.self, forKey: key), let number = Int64(text) { return number }
                throw ExportError.invalidResponse("the \(name) of an export entry is not an integer")
            }
            let id = try field("ID"), start = try field("Start"), stop = try field("Stop")
            guard id > 0 else { throw ExportError.invalidResponse("an export entry has the id \(id); bundle ids are positive") }
            for (name, value) in [("Start", start), ("Stop", stop)] where !Timestamp.validRange.contains(value) {
                throw ExportError.invalidResponse("bundle \(id) has the \(name) \(value), outside 1970–9999")
            }
            guard start <= stop else { throw ExportError.invalidResponse("bundle \(id) has its Start \(start) after its Stop \(stop)") }
            bundle = ExportBundle(id: id, start: start, stop: stop)
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
