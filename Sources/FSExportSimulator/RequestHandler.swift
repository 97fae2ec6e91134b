import Foundation
import Logging
import NIOCore
import NIOHTTP1
import _NIOFileSystem

typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

/// One request and its response in progress. The request is recorded before the response head
/// goes out, so that a client never sees an answer the simulator has not yet recorded.
struct Exchange {
    let head: HTTPRequestHead
    let outbound: Outbound
    let state: SimulatorState
    var record: SimulatorRequestRecord

    mutating func writeHead(_ status: Int, length: Int64, extra: [(String, String)]) async throws {
        record.status = status
        await state.record(record)
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Length", value: "\(length)")
        headers.add(name: "Connection", value: head.isKeepAlive ? "keep-alive" : "close")
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers)))
    }

    /// Sends a complete JSON response; returns true (the connection may go on).
    mutating func sendJSON(_ status: Int, _ json: String, extra: [(String, String)] = []) async throws -> Bool {
        try await writeHead(status, length: Int64(json.utf8.count), extra: [("Content-Type", "application/json")] + extra)
        if !json.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: json)))) }
        try await outbound.write(.end(nil))
        return true
    }
}

/// Serves the connections of one simulator: parses each request, applies auth, the rate limit and
/// faults, and answers LIST and GET as the export API does.
struct RequestHandler: Sendable {
    let configuration: SimulatorConfiguration
    let state: SimulatorState
    let store: BundleStore
    let logger: Logger

    private static let maxRequestBody = 64 * 1024

    func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, number: Int) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.clear()
                    case .body(var chunk):
                        guard body.readableBytes + chunk.readableBytes <= Self.maxRequestBody else { return }
                        body.writeBuffer(&chunk)
                    case .end:
                        guard let request = head else { return }
                        let keepOpen = try await respond(to: request, body: body, outbound: outbound, channel: connection.channel, connection: number)
                        if !keepOpen || !request.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("simulator connection ended: \(error)")
        }
    }

    // MARK: - Routing

    /// Returns whether the connection may serve another request.
    private func respond(to head: HTTPRequestHead, body: ByteBuffer, outbound: Outbound, channel: any Channel, connection: Int) async throws -> Bool {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let endpoint = Self.endpoint(of: path)
        var exchange = Exchange(
            head: head, outbound: outbound, state: state,
            record: SimulatorRequestRecord(
                endpoint: endpoint, method: head.method.rawValue, parameter: nil, status: 0, fault: nil,
                rangeStart: nil, headers: Self.extraHeaders(head.headers), receivedAt: .now))
        exchange.record.authorized = head.headers.contains(name: "authorization")
        exchange.record.connection = connection
        if head.method == .POST { exchange.record.body = String(buffer: body) }

        guard endpoint != .other else {
            return try await exchange.sendJSON(404, #"{"code":"not_found","message":"no such endpoint"}"#)
        }
        if endpoint == .storage {
            return try await respondStorage(path: path, exchange: &exchange, channel: channel)
        }
        guard head.method == .GET || head.method == .POST else {
            return try await exchange.sendJSON(405, #"{"code":"method_not_allowed","message":"use GET or POST"}"#)
        }
        if let status = authorizationFailure(head.headers) {
            let message = status == 401
                ? #"{"code":"unauthorized","message":"Unauthorized"}"# : #"{"code":"forbidden","message":"Forbidden"}"#
            return try await exchange.sendJSON(status, message)
        }
        // The documented limit is the legacy API's; the Segment Export API's is not published, so
        // its endpoints are limited only by the faults a test injects (429 on create, say).
        let legacy = endpoint == .list || endpoint == .get
        if legacy, let wait = await state.takeToken() {
            return try await exchange.sendJSON(429, #"{"code":"rate_limited","message":"Too Many Requests"}"#, extra: [("Retry-After", "\(wait)")])
        }
        if endpoint == .create || endpoint == .operation || endpoint == .results {
            return try await respondSegments(endpoint, path: path, body: body, exchange: &exchange)
        }
        let name = endpoint == .list ? "start" : "id"
        let parameter = head.method == .GET ? Self.queryParameter(name, in: head.uri) : Self.jsonParameter(name, in: body)
        exchange.record.parameter = parameter
        guard let value = parameter.flatMap({ Int64($0) }) else {
            return try await exchange.sendJSON(400, #"{"code":"invalid_argument","message":"missing or invalid parameter \#(name)"}"#)
        }
        let rule = await state.fault(for: endpoint == .list ? .list : .get)
        exchange.record.fault = rule?.fault
        if let rule, let answered = try await refuse(rule, exchange: &exchange) { return answered }
        if endpoint == .list {
            let json = listJSON(start: value)
            var buffer = ByteBuffer(string: json)
            let fault = rule?.fault
            if fault == .reset || fault == .truncate {
                buffer = buffer.getSlice(at: 0, length: buffer.readableBytes / 2)!
            }
            try await exchange.writeHead(200, length: Int64(json.utf8.count), extra: [("Content-Type", "application/json")])
            try await outbound.write(.body(.byteBuffer(buffer)))
            if let fault, fault == .reset || fault == .truncate {
                try await abort(channel, reset: fault == .reset)
                return false
            }
            try await outbound.write(.end(nil))
            return true
        }
        guard let bundle = configuration.dataset.bundle(id: value) else {
            return try await exchange.sendJSON(404, #"{"code":"not_found","message":"export \#(value) not found"}"#)
        }
        let served = try await store.body(for: bundle)
        let range = configuration.supportsRanges ? Self.requestedRange(head.headers, size: served.size) : nil
        exchange.record.rangeStart = range.flatMap { $0 }?.lowerBound
        if case .some(.none) = range {
            return try await exchange.sendJSON(416, "", extra: [("Content-Range", "bytes */\(served.size)")])
        }
        let bytes = range.flatMap { $0 } ?? 0..<served.size
        return try await sendBundle(served, bytes: bytes, partial: range != nil, fault: rule?.fault, exchange: &exchange, channel: channel)
    }

    // MARK: - GET bodies

    func sendBundle(
        _ body: BundleStore.StoredBody, bytes: Range<Int64>, partial: Bool, fault: SimulatedFault?,
        exchange: inout Exchange, channel: any Channel, fileName: String = "DataExport.json.gz", plainGzip: Bool = false
    ) async throws -> Bool {
        let outbound = exchange.outbound
        var headers: [(String, String)] = [
            ("Content-Disposition", #"attachment; filename="\#(fileName)""#),
        ]
        if plainGzip {
            headers.append(("Content-Type", "application/gzip"))
        } else if configuration.servePlainJSON {
            headers.append(("Content-Type", "application/json"))
        } else if configuration.contentEncodingGzip {
            headers += [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
        } else {
            headers.append(("Content-Type", "application/gzip"))
        }
        if configuration.supportsRanges { headers.append(("Accept-Ranges", "bytes")) }
        if partial { headers.append(("Content-Range", "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(body.size)")) }
        try await exchange.writeHead(partial ? 206 : 200, length: Int64(bytes.count), extra: headers)

        // Faults strike halfway through what this response carries.
        let cut = fault == .reset || fault == .truncate ? bytes.lowerBound + Int64(bytes.count) / 2 : bytes.upperBound
        let flip: Int64? = fault == .corrupt ? bytes.lowerBound + Int64(bytes.count) / 2 : nil
        let chunkLength: ByteCount = fault == .slow ? .kibibytes(16) : .kibibytes(256)
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(body.path)) { file in
            var offset = bytes.lowerBound
            for try await var chunk in file.readChunks(in: bytes.lowerBound..<cut, chunkLength: chunkLength) {
                if let flip, (offset..<offset + Int64(chunk.readableBytes)).contains(flip) {
                    let index = chunk.readerIndex + Int(flip - offset)
                    chunk.setInteger(chunk.getInteger(at: index, as: UInt8.self)! ^ 0x5A, at: index)
                }
                offset += Int64(chunk.readableBytes)
                try await outbound.write(.body(.byteBuffer(chunk)))
                if fault == .slow { try await Task.sleep(for: configuration.slowChunkDelay) }
            }
        }
        if cut < bytes.upperBound {
            try await abort(channel, reset: fault == .reset)
            return false
        }
        try await outbound.write(.end(nil))
        return true
    }

    /// Answers 503 or 429 when the rule says so; nil when the fault is for the body.
    func refuse(_ rule: FaultRule, exchange: inout Exchange) async throws -> Bool? {
        guard rule.fault == .unavailable || rule.fault == .tooManyRequests else { return nil }
        let retry = rule.retryAfter.map { [("Retry-After", "\($0)")] } ?? []
        return try await exchange.sendJSON(rule.fault == .unavailable ? 503 : 429, #"{"code":"unavailable","message":"try again"}"#, extra: retry)
    }

    /// Ends the connection mid-response: with a TCP reset, or a plain close short of the length.
    func abort(_ channel: any Channel, reset: Bool) async throws {
        if reset, let provider = channel as? any SocketOptionProvider {
            try await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }

    // MARK: - LIST bodies

    func listJSON(start: Int64) -> String {
        let page = configuration.dataset.bundles.filter { $0.stop > start }.prefix(configuration.pageSize)
        let idKey = configuration.idKey
        if configuration.documentationStyleJSON {
            // Exactly the layout of the documentation's example, trailing comma included.
            let entries = page.map { "{\n \"Start\": \($0.start),\n \"Stop\": \($0.stop),\n \"\(idKey)\": \($0.id),\n }" }
            return "{\"exports\": [" + entries.joined(separator: ",") + "]\n}"
        }
        let entries = page.map { #"{"\#(idKey)":\#($0.id),"Start":\#($0.start),"Stop":\#($0.stop)}"# }
        return #"{"exports":["# + entries.joined(separator: ",") + "]}"
    }

    // MARK: - Helpers

    func authorizationFailure(_ headers: HTTPHeaders) -> Int? {
        guard let value = headers.first(name: "authorization"), value.hasPrefix("Basic ") else { return 401 }
        let key = String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)
        if key == configuration.apiKey { return nil }
        return configuration.standardKeys.contains(key) ? 403 : 401
    }

    static func queryParameter(_ name: String, in uri: String) -> String? {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first == Substring(name) { return parts.count > 1 ? String(parts[1]).removingPercentEncoding : "" }
        }
        return nil
    }

    static func jsonParameter(_ name: String, in body: ByteBuffer) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else { return nil }
        switch object[name] {
        case let number as NSNumber: return number.stringValue
        case let text as String: return text
        default: return nil
        }
    }

    /// nil: no usable Range header; .some(nil): unsatisfiable; otherwise the bytes to send.
    static func requestedRange(_ headers: HTTPHeaders, size: Int64) -> Range<Int64>?? {
        guard let value = headers.first(name: "range"), value.hasPrefix("bytes="), !value.contains(",") else { return nil }
        let spec = value.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {  // suffix range: the last N bytes
            guard let suffix = Int64(spec[1]), suffix > 0 else { return nil }
            return .some(max(0, size - suffix)..<size)
        }
        guard let first = Int64(spec[0]) else { return nil }
        let last = spec[1].isEmpty ? size - 1 : min(Int64(spec[1]) ?? -1, size - 1)
        guard first < size, last >= first else { return .some(nil) }
        return .some(first..<last + 1)
    }

    private static func extraHeaders(_ headers: HTTPHeaders) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in headers where name.lowercased() != "authorization" {
            result[name.lowercased()] = value
        }
        return result
    }
}
