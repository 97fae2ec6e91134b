import Foundation
import FSExportCore

/// `POST /segments/v1/exports` answers `{"operationId": "…"}`.
package struct CreatedExport: Decodable {
    package var operationId: String
}

/// `GET /operations/v1/{id}`: where an export job stands.
package struct ExportOperation: Decodable {
    package struct Results: Decodable {
        package var searchExportId: String
    }

    package var id: String?
    package var state: String
    package var estimatePctComplete: Double?
    package var errorDetails: String?
    package var results: Results?

    package enum Phase: Equatable {
        case working(percent: Int?)
        case completed(searchExportID: String)
        case failed(details: String)
    }

    /// The states the API documents. Any other is a data error: treated as "still working", it
    /// would be polled forever; treated as failed, it would create the export again and again.
    package func phase() throws(ExportError) -> Phase {
        switch state {
        case "PENDING", "RUNNING":
            return .working(percent: estimatePctComplete.flatMap { $0.isFinite ? Int(min(max($0, 0), 100)) : nil })
        case "COMPLETED":
            guard let id = results?.searchExportId, !id.isEmpty else {
                throw ExportError.invalidResponse("operation \(self.id ?? "?") is COMPLETED but names no searchExportId")
            }
            return .completed(searchExportID: id)
        case "FAILED":
            return .failed(details: errorDetails.map { OutsideText.shown($0, limit: 500) } ?? "no errorDetails given")
        default:
            throw ExportError.invalidResponse(
                "operation \(OutsideText.shown(id ?? "?", limit: 80)) is in the state '\(OutsideText.shown(state, limit: 80))', "
                    + "which the Segment Export API does not document (PENDING, RUNNING, COMPLETED, FAILED)")
        }
    }
}

/// `GET /search/v1/exports/{id}/results`: a signed download location, valid until `expires`.
package struct ExportLocation: Decodable {
    package var location: String
    package var expires: String?
}

package enum SegmentResponse {
    /// Decodes a small JSON answer, saying which call sent something else.
    package static func decode<T: Decodable>(_ type: T.Type, from data: Data, call: String) throws(ExportError) -> T {
        if let key = RepeatedKeys.first(in: data) {
            throw ExportError.invalidResponse(
                "\(call) answered with the key \"\(OutsideText.shown(key, limit: 80))\" twice in one object, which leaves what it means to chance")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ExportError.invalidResponse("\(call) answered something else than expected (\(OutsideText.shown(bytes: data.prefix(4096), limit: 200)))")
        }
    }

    /// A path segment from the server (an operation or export id), checked so that it cannot
    /// redirect a request elsewhere.
    package static func pathComponent(_ text: String, what: String) throws(ExportError) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.~"))
        guard !text.isEmpty, text.count <= 256, text != ".", text != "..", text.unicodeScalars.allSatisfy(allowed.contains) else {
            throw ExportError.invalidResponse("the \(what) '\(OutsideText.shown(text, limit: 80))' is not a plain id")
        }
        return text
    }
}
