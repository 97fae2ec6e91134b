import CCurl
import CCurlShims
import Foundation
import FSExportBasics

/// Runs one HTTP transfer with libcurl's easy interface on a thread of its own (curl blocks),
/// streaming a 2xx body into a ``BodyReceiver``. Nothing outside this file and ``CurlHandlePool``
/// sees a curl handle or a curl error code.
package enum CurlTransfer {
    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    /// Performs `work` on a dedicated thread and resumes the caller with its result.
    package static func onTransferThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = "fsexport-transfer"
            thread.start()
        }
    }

    /// Runs one transfer on a thread of its own; cancelling the task aborts it.
    package static func transfer<R: BodyReceiver, Extract: Sendable>(
        _ request: HTTPRequest, timing: ResponseTiming? = nil, progress: (@Sendable (TransferProgress) -> Void)? = nil,
        receiver makeReceiver: @escaping @Sendable () throws -> R,
        extract: @escaping @Sendable (R) throws -> Extract
    ) async throws -> (TransferOutcome, Extract) {
        let cancel = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await CurlTransfer.onTransferThread {
                let receiver = try makeReceiver()
                let outcome = try CurlTransfer.perform(request, receiver: receiver, cancel: cancel, timing: timing, progress: progress)
                switch outcome {
                case .response(let status, _, _): timing?.answered(status)
                case .transportFailure(let failure): timing?.answered(failure.status)
                }
                return (outcome, try extract(receiver))
            }
        } onCancel: {
            cancel.set()
        }
    }

    /// Sends `request` and feeds its 2xx body to `receiver`. Blocks: call from ``onTransferThread(_:)``.
    /// Throws `CancellationError` if `cancel` is set, or the receiver's own error.
    package static func perform(
        _ request: HTTPRequest, receiver: any BodyReceiver, cancel: CancellationFlag, timing: ResponseTiming? = nil,
        progress: (@Sendable (TransferProgress) -> Void)? = nil
    ) throws -> TransferOutcome {
        _ = globalInit
        guard let handle = CurlHandlePool.shared.take(for: request.url) else {
            throw TransferSetupFailure("libcurl could not create a handle")
        }
        var reusable = false
        defer { CurlHandlePool.shared.giveBack(handle, for: request.url, reusable: reusable) }
        let upload = try UploadSource(request.body)
        let context = TransferContext(
            handle: handle, receiver: receiver, cancel: cancel, timing: timing, progress: progress, resumeOffset: request.resumeFrom,
            upload: upload)
        let headerList = request.headers.reduce(nil as UnsafeMutablePointer<curl_slist>?) { curl_slist_append($0, $1) }
        defer { curl_slist_free_all(headerList) }

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            withExtendedLifetime(context) {
                configure(handle, request, headerList, errorPointer.baseAddress!, Unmanaged.passUnretained(context).toOpaque())
                return curl_easy_perform(handle)
            }
        }
        if let error = context.receiverError { throw error }
        if cancel.isSet { throw CancellationError() }
        reusable = true
        let status = Int(fsx_curl_response_code(handle))
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            let kind = TransportFailure.descriptorsExhausted() ? .outOfFileDescriptors : kind(of: code, message: message)
            return .transportFailure(TransportFailure(
                kind, detail: "\(message) (curl error \(code.rawValue))", status: status == 0 ? nil : status,
                headers: status == 0 ? nil : context.headers))
        }
        if (200..<300).contains(status), !context.began {
            try receiver.begin(status: status, headers: context.headers)
        }
        return .response(status: status, headers: context.headers, errorBody: String(decoding: context.errorBody, as: UTF8.self))
    }

    private static func configure(
        _ handle: UnsafeMutableRawPointer, _ request: HTTPRequest, _ headers: UnsafeMutablePointer<curl_slist>?,
        _ errorBuffer: UnsafeMutablePointer<CChar>, _ context: UnsafeMutableRawPointer
    ) {
        fsx_curl_set_string(handle, CURLOPT_URL, request.url)
        fsx_curl_set_string(handle, CURLOPT_USERAGENT, request.userAgent)
        fsx_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headers)
        fsx_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        configureMethod(handle, request, context)
        if let signing = request.signing {
            fsx_curl_set_string(handle, CURLOPT_AWS_SIGV4, signing.scope)
            fsx_curl_set_string(handle, CURLOPT_USERNAME, signing.accessKeyID)
            fsx_curl_set_string(handle, CURLOPT_PASSWORD, signing.secretAccessKey)
        }
        // Multi-threaded use: no signals. Follow redirects (curl drops our Authorization header
        // when a redirect leaves the host), only over HTTP(S).
        fsx_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        fsx_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        fsx_curl_set_long(handle, CURLOPT_MAXREDIRS, 5)
        fsx_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        fsx_curl_set_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        fsx_curl_set_long(handle, CURLOPT_BUFFERSIZE, 256 * 1024)
        fsx_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.timeouts.connect))
        fsx_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, request.timeouts.stallBytesPerSecond)
        fsx_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, milliseconds(request.timeouts.stallWindow) / 1000))
        fsx_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        fsx_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            TransferContext.from(context).write(data, size * count)
        }
        fsx_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
        fsx_curl_set_data_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            TransferContext.from(context).header(data, size * count)
        }
        fsx_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
        fsx_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context)
        fsx_curl_set_progress_callback(handle) { context, total, now, _, _ in
            TransferContext.from(context).progress(total: total, now: now)
        }
    }

    /// The method, and the body: copied from memory, or read from a file range as curl sends it
    /// (rewound when curl must send it again).
    private static func configureMethod(_ handle: UnsafeMutableRawPointer, _ request: HTTPRequest, _ context: UnsafeMutableRawPointer) {
        switch request.body {
        case .data(let body)?:
            fsx_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            var copy = [UInt8](body)
            copy.append(0)
            // COPYPOSTFIELDS copies, so the bytes need not outlive this call.
            _ = fsx_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, &copy)
            if request.method != "POST" { fsx_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
        case .file(_, _, let length)?:
            fsx_curl_set_long(handle, CURLOPT_UPLOAD, 1)
            fsx_curl_set_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(length))
            fsx_curl_set_pointer(handle, CURLOPT_READDATA, context)
            fsx_curl_set_data_callback(handle, CURLOPT_READFUNCTION) { data, size, count, context in
                TransferContext.from(context).read(into: data, size * count)
            }
            fsx_curl_set_pointer(handle, CURLOPT_SEEKDATA, context)
            fsx_curl_set_seek_callback(handle) { context, offset, origin in
                TransferContext.from(context).seek(to: offset, origin: origin)
            }
            if request.method != "PUT" { fsx_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
        case nil:
            switch request.method {
            case "GET": fsx_curl_set_long(handle, CURLOPT_HTTPGET, 1)
            case "HEAD": fsx_curl_set_long(handle, CURLOPT_NOBODY, 1)
            default: fsx_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            }
        }
    }

    /// curl's error codes as the kinds callers decide on; nothing above this file sees a code.
    private static func kind(of code: CURLcode, message: String) -> TransportFailure.Kind {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .hostNotFound
        case CURLE_COULDNT_CONNECT: .connectionRefused
        // The stall limit (LOW_SPEED) ends a transfer with the timeout's code and its own words.
        case CURLE_OPERATION_TIMEDOUT: message.contains("too slow") ? .stalled : .timedOut
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM: .reset
        case CURLE_PARTIAL_FILE: .cutShort
        case CURLE_SSL_CONNECT_ERROR: .tlsHandshake
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH: .tlsVerification
        case CURLE_UNSUPPORTED_PROTOCOL: .redirectRefused  // fsexport itself only asks for http(s)
        case CURLE_TOO_MANY_REDIRECTS: .tooManyRedirects
        case CURLE_URL_MALFORMAT: .badURL
        case CURLE_OUT_OF_MEMORY: .outOfMemory
        default: .other
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(duration / .milliseconds(1))
    }
}

/// State shared with curl's C callbacks for one transfer, all on the transfer thread.
private final class TransferContext {
    let handle: UnsafeMutableRawPointer
    let receiver: any BodyReceiver
    let cancel: CancellationFlag
    let timing: ResponseTiming?
    let reportProgress: (@Sendable (TransferProgress) -> Void)?
    /// The byte a resumed transfer asked to start from.
    let resumeOffset: Int64
    var headers = HeaderFields()
    var errorBody = [UInt8]()
    var began = false
    /// The status of the latest status line (a redirect's or a 100 Continue's is replaced by the
    /// final one's), known before any body byte.
    var status = 0
    var receiverError: (any Error)?
    /// The file range a PUT sends, when it sends one.
    let upload: UploadSource?
    private var lastReported: ContinuousClock.Instant?

    init(handle: UnsafeMutableRawPointer, receiver: any BodyReceiver, cancel: CancellationFlag, timing: ResponseTiming?,
         progress: (@Sendable (TransferProgress) -> Void)?, resumeOffset: Int64 = 0, upload: UploadSource? = nil) {
        self.upload = upload
        self.timing = timing
        self.resumeOffset = resumeOffset
        self.handle = handle
        self.receiver = receiver
        self.cancel = cancel
        self.reportProgress = progress
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> TransferContext {
        Unmanaged<TransferContext>.fromOpaque(pointer!).takeUnretainedValue()
    }

    func header(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data else { return count }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            timing?.responseBegan()
            status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            headers.removeAll()  // a new response (after a redirect or 100 Continue)
        } else {
            headers.add(line: line)
        }
        return count
    }

    func write(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return count }
        timing?.received(count)
        if status == 0 { status = Int(fsx_curl_response_code(handle)) }
        guard (200..<300).contains(status) else {
            // Error bodies are short explanations; keep the start for the message.
            let room = max(0, 4096 - errorBody.count)
            errorBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: min(room, count)))
            return count
        }
        do {
            if !began {
                began = true
                try receiver.begin(status: status, headers: headers)
            }
            try receiver.receive(UnsafeRawBufferPointer(start: data, count: count))
            return count
        } catch {
            receiverError = error
            return 0  // makes curl stop with CURLE_WRITE_ERROR
        }
    }

    func read(into buffer: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        if cancel.isSet { return Int(CURL_READFUNC_ABORT) }
        guard let buffer, let upload else { return 0 }
        do {
            return try upload.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: count))
        } catch {
            receiverError = error
            return Int(CURL_READFUNC_ABORT)
        }
    }

    func seek(to offset: curl_off_t, origin: Int32) -> Int32 {
        guard let upload, origin == SEEK_SET, upload.seek(to: Int64(offset)) else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
        return Int32(CURL_SEEKFUNC_OK)
    }

    func progress(total: curl_off_t, now: curl_off_t) -> Int32 {
        if cancel.isSet { return 1 }
        if let reportProgress {
            let instant = ContinuousClock.now
            if lastReported.map({ instant - $0 > .milliseconds(200) }) ?? true {
                lastReported = instant
                // curl counts this transfer alone; a resumed one (206) continues from its offset,
                // so the display's total does not shrink after a break.
                // Before the answer, a resume is expected to be honoured; a 200 starts over, and says so.
                let offset = status == 206 || status == 0 ? resumeOffset : 0
                reportProgress(TransferProgress(bytes: offset + Int64(now), total: total > 0 ? offset + Int64(total) : nil))
            }
        }
        return 0
    }
}

/// A range of a file that a PUT sends, read with `pread` so that any number of parts of one file
/// go up at once, each from its own descriptor.
final class UploadSource {
    private let descriptor: Int32
    private let start: Int64
    private let length: Int64
    private var position: Int64 = 0

    init?(_ body: HTTPRequest.Body?) throws {
        guard case .file(let path, let offset, let length)? = body else { return nil }
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TransferSetupFailure("cannot open \(path) to upload it: \(String(cString: strerror(errno)))") }
        start = offset
        self.length = length
    }

    deinit { close(descriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(Int64(buffer.count), length - position))
        guard wanted > 0 else { return 0 }
        let count = pread(descriptor, buffer.baseAddress, wanted, off_t(start + position))
        guard count > 0 else {
            // A file that shrank under the upload would otherwise send a short body forever.
            throw TransferSetupFailure(count == 0 ? "the file being uploaded ended early" : "cannot read the file being uploaded: \(String(cString: strerror(errno)))")
        }
        position += Int64(count)
        return count
    }

    func seek(to offset: Int64) -> Bool {
        guard (0...length).contains(offset) else { return false }
        position = offset
        return true
    }
}

extension CurlTransfer {
    /// libcurl's own line, with its TLS library and zlib: `libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 …`.
    package static var libraryVersion: String { String(cString: curl_version()) }
}
