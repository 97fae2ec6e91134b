import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The XML documents S3 answers with, reduced to what the sink reads. Anything else in them is
/// ignored; a document without what is needed is an error that quotes its start.
enum S3Responses {
    struct Malformed: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// `<Error><Code>…</Code><Message>…</Message></Error>`: S3's explanation of a failure, which
    /// CompleteMultipartUpload may send with status 200.
    struct ErrorDocument: Error, Sendable, Equatable {
        var code: String
        var message: String
    }

    struct Upload: Sendable, Equatable {
        var key: String
        var uploadID: String
    }

    struct UploadListing: Sendable, Equatable {
        var uploads: [Upload]
        /// Where the next page starts, when the listing was cut short.
        var next: (keyMarker: String, uploadIDMarker: String)?

        static func == (a: Self, b: Self) -> Bool { a.uploads == b.uploads && a.next?.keyMarker == b.next?.keyMarker && a.next?.uploadIDMarker == b.next?.uploadIDMarker }
    }

    static func error(_ data: Data) -> ErrorDocument? {
        guard let root = XMLTree.parse(data), root.name == "Error" else { return nil }
        return ErrorDocument(code: root.text(of: "Code") ?? "", message: root.text(of: "Message") ?? "")
    }

    /// InitiateMultipartUploadResult's UploadId.
    static func uploadID(_ data: Data) throws(Malformed) -> String {
        guard let root = XMLTree.parse(data), root.name == "InitiateMultipartUploadResult", let id = root.text(of: "UploadId"), !id.isEmpty else {
            throw malformed("CreateMultipartUpload", data)
        }
        return id
    }

    /// CompleteMultipartUploadResult's ETag, or the error S3 reported with status 200.
    static func completion(_ data: Data) throws(Malformed) -> Result<String, ErrorDocument> {
        guard let root = XMLTree.parse(data) else { throw malformed("CompleteMultipartUpload", data) }
        if root.name == "Error" { return .failure(ErrorDocument(code: root.text(of: "Code") ?? "", message: root.text(of: "Message") ?? "")) }
        guard ["CompleteMultipartUploadResult", "CompleteMultipartUploadResponse"].contains(root.name), let etag = root.text(of: "ETag") else { throw malformed("CompleteMultipartUpload", data) }
        return .success(etag)
    }

    static func uploads(_ data: Data) throws(Malformed) -> UploadListing {
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
        let start = String(decoding: data.prefix(200), as: UTF8.self)
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

/// An XML element with its text and children: enough of XML for S3's small answers.
final class XMLTree {
    let name: String
    var text = ""
    var children: [XMLTree] = []

    init(name: String) { self.name = name }

    /// The text of the first child named `name`.
    func text(of name: String) -> String? { children.first { $0.name == name }?.text }

    /// The document's root element, or nil if it is not well-formed XML. Answers are capped
    /// before they get here (the transfer's memory limit), and depth is capped while parsing.
    static func parse(_ data: Data) -> XMLTree? {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), !builder.failed else { return nil }
        return builder.root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLTree?
        var stack: [XMLTree] = []
        var failed = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            guard stack.count < 16 else {
                failed = true
                parser.abortParsing()
                return
            }
            let element = XMLTree(name: name)
            if let parent = stack.last { parent.children.append(element) } else if root == nil { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}
