import Foundation
import Synchronization

/// A small HTTP/1.1 server on loopback whose every answer a test scripts: for the hostile servers
/// the simulator does not play (a LIST that ignores `start`, absurd headers and numbers, a body
/// that drips). One thread accepts; each connection gets a thread, one request, then is closed.
public final class ScriptedServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [String: String]
        public var headers: [String: String]
        /// The request's body (by its Content-Length), after a `100 Continue` if it asked for one.
        public var body: [UInt8] = []
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        /// Send the body this many bytes a second (a server that drips), instead of at once.
        public var dripBytesPerSecond: Int?

        public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], dripBytesPerSecond: Int? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.dripBytesPerSecond = dripBytesPerSecond
        }

        public static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
        }
    }

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Requests answered so far.
    public var requestCount: Int { state.requests.load(ordering: .relaxed) }
    /// When each request arrived, in order.
    public var arrivals: [ContinuousClock.Instant] { state.arrivals.withLock { $0 } }

    private let listener: Int32
    private let state = State()

    private final class State: Sendable {
        let stopped = Atomic<Bool>(false)
        let requests = Atomic<Int>(0)
        let arrivals = Mutex<[ContinuousClock.Instant]>([])
    }

    public init(_ handler: @escaping @Sendable (Request) -> Response) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        let state = self.state
        Thread.detachNewThread {
            while !state.stopped.load(ordering: .relaxed) {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { if state.stopped.load(ordering: .relaxed) { return } else { continue } }
                Thread.detachNewThread {
                    defer { close(connection) }
                    guard let request = Self.readRequest(connection) else { return }
                    state.arrivals.withLock { $0.append(.now) }
                    state.requests.add(1, ordering: .relaxed)
                    Self.write(handler(request), to: connection, state: state)
                }
            }
        }
    }

    /// Stops accepting; connections in progress end at their next write.
    public func stop() {
        guard !state.stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private static func readRequest(_ connection: Int32) -> Request? {
        var data: [UInt8] = []
        var rest: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0, data.count < 1 << 16 else { return nil }
            data += buffer[0..<count]
            if let end = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                rest = Array(data[end.upperBound...])
                data = Array(data[..<end.upperBound])
                break
            }
        }
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return nil }
        let target = String(parts[1])
        let path = String(target.prefix { $0 != "?" })
        var query: [String: String] = [:]
        if let mark = target.firstIndex(of: "?") {
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let halves = pair.split(separator: "=", maxSplits: 1).map(String.init)
                query[halves[0]] = halves.count > 1 ? halves[1] : ""
            }
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var request = Request(method: String(parts[0]), path: path, query: query, headers: headers)
        if let length = headers["content-length"].flatMap(Int.init), length > 0 {
            if headers["expect"]?.lowercased() == "100-continue", rest.isEmpty { _ = send(connection, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
            var body = rest
            while body.count < length {
                let count = read(connection, &buffer, min(buffer.count, length - body.count))
                guard count > 0 else { return nil }
                body += buffer[0..<count]
            }
            request.body = body
        }
        return request
    }

    private static func write(_ response: Response, to connection: Int32, state: State) {
        var head = "HTTP/1.1 \(response.status) Scripted\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        guard send(connection, Array((head + "\r\n").utf8)) else { return }
        guard let rate = response.dripBytesPerSecond, rate > 0 else {
            _ = send(connection, response.body)
            return
        }
        var offset = 0
        while offset < response.body.count, !state.stopped.load(ordering: .relaxed) {
            let piece = Array(response.body[offset..<min(offset + rate, response.body.count)])
            guard send(connection, piece) else { return }
            offset += piece.count
            Thread.sleep(forTimeInterval: 1)
        }
    }

    private static func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
