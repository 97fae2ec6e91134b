import CCurl
import CCurlShims
import Foundation
import FSExportCore

/// Runs one HTTP transfer with libcurl's easy interface on a thread of its own (curl blocks),
/// streaming a 2xx body into a ``BodyReceiver``. Nothing outside this file sees a curl handle.
enum CurlTransfer {
    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    /// Performs `work` on a dedicated thread and resumes the caller with its result.
    static func onTransferThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = "fsexport-transfer"
            thread.start()
        }
    }

    /// Sends `request` and feeds its 2xx body to `receiver`. Blocks: call from ``onTransferThread(_:)``.
    /// Throws `CancellationError` if `cancel` is set, or the receiver's own error.
    static func perform(
        _ request: HTTPRequest, receiver: any BodyReceiver, cancel: CancellationFlag, timing: ResponseTiming? = nil,
        progress: (@Sendable (TransferProgress) -> Void)? = nil
    ) throws -> TransferOutcome {
        _ = globalInit
        guard let handle = curl_easy_init() else {
            throw ExportError.localIO("libcurl could not create a handle")
        }
        defer { curl_easy_cleanup(handle) }
        let context = TransferContext(
            handle: handle, receiver: receiver, cancel: cancel, timing: timing, progress: progress, resumeOffset: request.resumeFrom)
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
        let status = Int(fsx_curl_response_code(handle))
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .transportFailure(TransportFailure(
                curlCode: Int(code.rawValue), message: message,
                status: status == 0 ? nil : status, headers: status == 0 ? nil : context.headers))
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
        if let body = request.postBody {
            fsx_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            var copy = [UInt8](body)
            copy.append(0)
            // COPYPOSTFIELDS copies, so the bytes need not outlive this call.
            _ = fsx_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, &copy)
        } else {
            fsx_curl_set_long(handle, CURLOPT_HTTPGET, 1)
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
    private var lastReported: ContinuousClock.Instant?

    init(handle: UnsafeMutableRawPointer, receiver: any BodyReceiver, cancel: CancellationFlag, timing: ResponseTiming?,
         progress: (@Sendable (TransferProgress) -> Void)?, resumeOffset: Int64 = 0) {
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
