import Foundation

/// Decodes a LIST response leniently, as real responses demand: the trailing comma of the
/// documentation's own example, `ID`/`Id`/`id` in any case, IDs as numbers or strings, extra fields.
package enum ListResponse {
    package static func decode(_ data: Data) throws(ExportError) -> [ExportBundle] {
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        do {
            return try decoder.decode(Page.self, from: data).exports.map(\.bundle)
        } catch let error as ExportError {
            throw error
        } catch {
            let excerpt = String(decoding: data.prefix(200), as: UTF8.self)
            throw ExportError.invalidResponse("LIST returned something that is not an export list (\(describe(error))): \(excerpt)")
        }
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
