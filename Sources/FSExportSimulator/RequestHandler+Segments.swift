import FSExportSimulatedData
import Foundation
import NIOCore
import NIOHTTP1

/// The Segment Export API: create an export, poll its operation, get its download location, and
/// the storage host that serves the file at that location (which, like cloud storage, refuses a
/// request that carries an `Authorization` header besides its signature).
extension RequestHandler {
    static func endpoint(of path: String) -> SimulatorRequestRecord.Endpoint {
        switch path {
        case "/api/v1/export/list": return .list
        case "/api/v1/export/get": return .get
        case "/segments/v1/exports": return .create
        default: break
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 4, parts[1] == "operations", parts[2] == "v1" { return .operation }
        if parts.count == 6, parts[1] == "search", parts[2] == "v1", parts[3] == "exports", parts[5] == "results" { return .results }
        if parts.count == 3, parts[1] == "storage" { return .storage }
        return .other
    }

    func respondSegments(_ endpoint: SimulatorRequestRecord.Endpoint, path: String, body: ByteBuffer, exchange: inout Exchange) async throws -> Bool {
        let rule = await state.fault(for: FaultRule.Endpoint(rawValue: endpoint.rawValue)!)
        exchange.record.fault = rule?.fault
        if let rule, let answered = try await refuse(rule, exchange: &exchange) { return answered }
        let parts = path.split(separator: "/").map(String.init)
        switch endpoint {
        case .create:
            guard exchange.head.method == .POST else {
                return try await exchange.sendJSON(405, #"{"code":"method_not_allowed","message":"use POST"}"#)
            }
            let request: SegmentExportRequest
            do {
                request = try SegmentExportRequest(json: Data(body.readableBytesView))
            } catch {
                return try await exchange.sendJSON(400, Self.errorJSON("invalid_argument", error.message))
            }
            guard configuration.segments.contains(request.segment) else {
                return try await exchange.sendJSON(404, Self.errorJSON("not_found", "segment \(request.segment) not found"))
            }
            let operation = await state.createExport(request)
            exchange.record.parameter = operation
            return try await exchange.sendJSON(200, #"{"operationId":"\#(operation)"}"#)
        case .operation:
            let id = parts[2]
            exchange.record.parameter = id
            guard let job = await state.poll(id, fail: rule?.fault == .failed) else {
                return try await exchange.sendJSON(404, Self.errorJSON("not_found", "operation \(id) not found"))
            }
            return try await exchange.sendJSON(200, operationJSON(job))
        default:
            let id = parts[3]
            exchange.record.parameter = id
            guard let job = await state.export(id: id), job.state(runningPolls: configuration.exportRunningPolls).state == "COMPLETED" else {
                return try await exchange.sendJSON(404, Self.errorJSON("not_found", "export \(id) not found"))
            }
            let expires = Int64(Date().timeIntervalSince1970) + Int64(configuration.locationLifetime)
            let host = exchange.head.headers.first(name: "host") ?? configuration.host
            let name = "\(id).\(job.request.format.fileExtension)"
            let location = "http://\(host)/storage/\(name)?Expires=\(expires)&Signature=\(signature(name, expires))"
            return try await exchange.sendJSON(200, #"{"location":"\#(location)","expires":"\#(Self.rfc3339(expires))"}"#)
        }
    }

    func respondStorage(path: String, exchange: inout Exchange, channel: any Channel) async throws -> Bool {
        let name = String(path.dropFirst("/storage/".count))
        exchange.record.parameter = name
        let rule = await state.fault(for: .storage)
        exchange.record.fault = rule?.fault
        if exchange.record.authorized {
            return try await sendStorageError(
                &exchange, 400, "InvalidArgument", "The request carries an Authorization header and a signature: use one authentication mechanism")
        }
        guard let expires = Self.queryParameter("Expires", in: exchange.head.uri).flatMap({ Int64($0) }),
            Self.queryParameter("Signature", in: exchange.head.uri) == signature(name, expires)
        else {
            return try await sendStorageError(&exchange, 403, "SignatureDoesNotMatch", "The request signature does not match")
        }
        if expires < Int64(Date().timeIntervalSince1970) || rule?.fault == .expired {
            return try await sendStorageError(&exchange, 400, "ExpiredToken", "The provided token has expired")
        }
        if let rule, let answered = try await refuse(rule, exchange: &exchange) { return answered }
        let exportID = String(name.prefix { $0 != "." })
        guard let job = await state.export(id: exportID) else {
            return try await sendStorageError(&exchange, 404, "NoSuchKey", "The specified key does not exist")
        }
        let served = try await store.body(forExport: job)
        let range = configuration.supportsRanges ? Self.requestedRange(exchange.head.headers, size: served.size) : nil
        exchange.record.rangeStart = range.flatMap { $0 }?.lowerBound
        if case .some(.none) = range {
            return try await exchange.sendJSON(416, "", extra: [("Content-Range", "bytes */\(served.size)")])
        }
        let file = "\(job.request.segment)-\(Self.rfc3339(Int64(Date().timeIntervalSince1970)).prefix(10)).\(job.request.format.fileExtension)"
        return try await sendBundle(
            served, bytes: range.flatMap { $0 } ?? 0..<served.size, partial: range != nil, fault: rule?.fault,
            exchange: &exchange, channel: channel, fileName: file, plainGzip: true)
    }

    private func operationJSON(_ job: SegmentExportJob) -> String {
        let (state, percent) = job.state(runningPolls: configuration.exportRunningPolls)
        var fields = [#""id":"\#(job.operationID)""#, #""type":"SEARCH_EXPORT""#, #""state":"\#(state)""#, #""estimatePctComplete":\#(percent)"#]
        if state == "COMPLETED" {
            fields.append(#""results":{"searchExportId":"\#(job.exportID)","expires":"\#(Self.rfc3339(Int64(Date().timeIntervalSince1970) + 86_400))"}"#)
        }
        if state == "FAILED" { fields.append(#""errorDetails":"simulated failure: the export job ran out of resources""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    private func sendStorageError(_ exchange: inout Exchange, _ status: Int, _ code: String, _ message: String) async throws -> Bool {
        let xml = "<?xml version='1.0' encoding='UTF-8'?><Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
        try await exchange.writeHead(status, length: Int64(xml.utf8.count), extra: [("Content-Type", "application/xml")])
        try await exchange.outbound.write(.body(.byteBuffer(ByteBuffer(string: xml))))
        try await exchange.outbound.write(.end(nil))
        return true
    }

    /// A signature only this simulator can make: FNV-1a over the name, the expiry and the key.
    private func signature(_ name: String, _ expires: Int64) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(name)|\(expires)|\(configuration.apiKey)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    private static func errorJSON(_ code: String, _ message: String) -> String {
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"code":"\#(code)","message":"\#(escaped)"}"#
    }

    static func rfc3339(_ seconds: Int64) -> String {
        EventGenerator.rfc3339(milliseconds: seconds * 1000).replacingOccurrences(of: ".000Z", with: "Z")
    }
}
