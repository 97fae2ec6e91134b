import Foundation
import FSExportCore

/// The XML documents S3 answers with, reduced to what the sink reads. Anything else in them is
/// ignored; a document without what is needed is an error that quotes its start.
package enum S3Responses {
    package struct Malformed: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// `<Error><Code>…</Code><Message>…</Message></Error>`: S3's explanation of a failure, which
    /// CompleteMultipartUpload may send with status 200.
    package struct ErrorDocument: Error, Sendable, Equatable {
        package var code: String
        package var message: String

        /// The store's words, kept as outside text (``OutsideText``): shown, never trusted.
        init(code: String, message: String) {
            self.code = OutsideText.shown(code, limit: 100)
            self.message = OutsideText.shown(message)
        }
    }

    package struct Upload: Sendable, Equatable {
        package var key: String
        package var uploadID: String
    }

    package struct UploadListing: Sendable, Equatable {
        package var uploads: [Upload]
        /// Where the next page starts, when the listing was cut short.
        package var next: (keyMarker: String, uploadIDMarker: String)?

        package static func == (a: Self, b: Self) -> Bool { a.uploads == b.uploads && a.next?.keyMarker == b.next?.keyMarker && a.next?.uploadIDMarker == b.next?.uploadIDMarker }
    }

    package static func error(_ data: Data) -> ErrorDocument? {
        guard let root = XMLTree.parse(data), root.name == "Error" else { return nil }
        return ErrorDocument(code: root.text(of: "Code") ?? "", message: root.text(of: "Message") ?? "")
    }

    /// InitiateMultipartUploadResult's UploadId.
    package static func uploadID(_ data: Data) throws(Malformed) -> String {
        guard let root = XMLTree.parse(data), root.name == "InitiateMultipartUploadResult", let id = root.text(of: "UploadId"), !id.isEmpty else {
            throw malformed("CreateMultipartUpload", data)
        }
        return id
    }

    /// CompleteMultipartUploadResult's ETag, or the error S3 reported with status 200.
    package static func completion(_ data: Data) throws(Malformed) -> Result<String, ErrorDocument> {
        guard let root = XMLTree.parse(data) else { throw malformed("CompleteMultipartUpload", data) }
        if root.name == "Error" { return .failure(ErrorDocument(code: root.text(of: "Code") ?? "", message: root.text(of: "Message") ?? "")) }
        guard ["CompleteMultipartUploadResult", "CompleteMultipartUploadResponse"].contains(root.name), let etag = root.text(of: "ETag") else { throw malformed("CompleteMultipartUpload", data) }
        return .success(etag)
    }

    package static func uploads(_ data: Data) throws(Malformed) -> UploadListing {
        guard let root = XMLTree.parse(data), root.name == "ListMultipartUploadsResult" else { throw malformed("ListMultipartUploads", data) }
        var uploads: [Upload] = []
        for child in root.children where child.name == "Upload" {
            guard let key = child.text(of: "Key"), let id = child.text(of: "UploadId"), !id.isEmpty else { throw malformed("ListMultipartUploads", data) }
            uploads.append(Upload(key: key, uploadID: id))
        }
        var next: (String, String)?
        if root.text(of: "IsTruncated") == "true" {
            guard let key = root.text(of: "NextKeyMarker"), let id = root.text(of: "NextUploadIdMarker"), !(key.isEmpty && id.isEmpty) else {
                throw malformed("ListMultipartUploads (a truncated listing without where to go on)", data)
            }
            next = (key, id)
        }
        return UploadListing(uploads: uploads, next: next)
    }

    private static func malformed(_ call: String, _ data: Data) -> Malformed {
        let start = OutsideText.shown(bytes: data.prefix(4096), limit: 200)
        return Malformed(description: "the store's answer to \(call) is not what S3 sends: \(start.isEmpty ? "(empty)" : "'\(start)'")")
    }

    /// `<CompleteMultipartUpload>` for the parts in order.
    static func completeBody(parts: [(number: Int, etag: String)]) -> Data {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts { xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(escape(part.etag))</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        return Data(xml.utf8)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// An XML element with its text and children: enough of XML for S3's small answers, read by a
/// reader of its own. (Foundation's XMLParser leaks memory on every malformed document, which the
/// fuzzer found.) Elements, text, CDATA, the five named entities and numeric references;
/// attributes, comments and the declaration are skipped; a DOCTYPE is refused, so no entity is
/// ever expanded from elsewhere.
final class XMLTree {
    let name: String
    var text = ""
    var children: [XMLTree] = []

    init(name: String) { self.name = name }

    /// The text of the first child named `name`.
    func text(of name: String) -> String? { children.first { $0.name == name }?.text }

    /// The document's root element, or nil if it is not well-formed as far as this reader goes.
    /// Answers are capped before they get here (the transfer's memory limit); depth is capped too.
    static func parse(_ data: Data) -> XMLTree? {
        var reader = Reader(bytes: [UInt8](data))
        return reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var stack: [XMLTree] = []
        var root: XMLTree?
        var text: [UInt8] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() -> XMLTree? {
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "<") {
                    guard flushText(), markup() else { return nil }
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
            guard flushText(), stack.isEmpty, let root else { return nil }
            return root
        }

        func starts(with literal: String) -> Bool {
            let pattern = Array(literal.utf8)
            return bytes.count - index >= pattern.count && Array(bytes[index..<index + pattern.count]) == pattern
        }

        /// Moves past the next `literal`; false if there is none.
        mutating func skip(past literal: String) -> Bool {
            let pattern = Array(literal.utf8)
            while index + pattern.count <= bytes.count {
                if bytes[index] == pattern[0], Array(bytes[index..<index + pattern.count]) == pattern {
                    index += pattern.count
                    return true
                }
                index += 1
            }
            return false
        }

        mutating func markup() -> Bool {
            if starts(with: "<?") { return skip(past: "?>") }
            if starts(with: "<!--") { return skip(past: "-->") }
            if starts(with: "<![CDATA[") {
                index += 9
                let start = index
                guard skip(past: "]]>"), !stack.isEmpty else { return false }
                stack.last!.text += String(decoding: bytes[start..<(index - 3)], as: UTF8.self)
                return true
            }
            if starts(with: "<!") { return false }  // DOCTYPE and the like: not in S3's answers
            if starts(with: "</") {
                index += 2
                let start = index
                guard skip(past: ">"), let open = stack.popLast() else { return false }
                let name = String(decoding: bytes[start..<(index - 1)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                return name == open.name
            }
            index += 1
            let start = index
            while index < bytes.count, ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "/"), UInt8(ascii: ">")].contains(bytes[index]) {
                index += 1
            }
            guard index > start, stack.count < 16, root == nil || !stack.isEmpty else { return false }
            let element = XMLTree(name: String(decoding: bytes[start..<index], as: UTF8.self))
            var quote: UInt8?
            while index < bytes.count {  // attributes, skipped
                let byte = bytes[index]
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    break
                }
                index += 1
            }
            guard index < bytes.count else { return false }
            let selfClosing = bytes[index - 1] == UInt8(ascii: "/") && quote == nil
            index += 1
            if let parent = stack.last { parent.children.append(element) } else { root = element }
            if !selfClosing { stack.append(element) }
            return true
        }

        /// Adds the text read so far to the open element, entities resolved; text outside the
        /// root must be blank.
        mutating func flushText() -> Bool {
            defer { text.removeAll(keepingCapacity: true) }
            guard let open = stack.last else { return text.allSatisfy { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) } }
            guard let resolved = Self.resolveEntities(text) else { return false }
            open.text += resolved
            return true
        }

        static func resolveEntities(_ text: [UInt8]) -> String? {
            guard text.contains(UInt8(ascii: "&")) else { return String(decoding: text, as: UTF8.self) }
            var out = ""
            var pieces = String(decoding: text, as: UTF8.self)[...]
            while let amp = pieces.firstIndex(of: "&") {
                out += pieces[..<amp]
                guard let semicolon = pieces[amp...].firstIndex(of: ";"), pieces.distance(from: amp, to: semicolon) <= 10 else { return nil }
                let entity = pieces[pieces.index(after: amp)..<semicolon]
                switch entity {
                case "amp": out += "&"
                case "lt": out += "<"
                case "gt": out += ">"
                case "quot": out += "\""
                case "apos": out += "'"
                default:
                    let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                    guard let number, let scalar = Unicode.Scalar(number) else { return nil }
                    out.unicodeScalars.append(scalar)
                }
                pieces = pieces[pieces.index(after: semicolon)...]
            }
            return out + pieces
        }
    }
}
