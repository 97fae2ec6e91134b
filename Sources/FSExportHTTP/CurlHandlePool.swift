import CCurl
import Synchronization

/// curl easy handles kept between transfers, by origin. A handle keeps its open connections, its
/// TLS sessions and DNS answers after a transfer (`curl_easy_reset` clears only the options), so a
/// transfer that takes one reuses the connection the last transfer to the same host left open: a
/// thousand-part upload or a hundred LIST pages pay one handshake, not one each.
final class CurlHandlePool: Sendable {
    static let shared = CurlHandlePool()

    /// Enough for the transfers one process runs at once to one host (S3 sends a few parts at a time).
    private let keptPerOrigin = 8
    private let idle = Mutex<[String: [Handle]]>([:])

    /// A raw handle, owned by one transfer at a time: the pool hands it out and takes it back.
    private struct Handle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    /// A handle for a transfer to `url`: one kept for its origin, or a new one.
    func take(for url: String) -> UnsafeMutableRawPointer? {
        let origin = Self.origin(of: url)
        return idle.withLock { $0[origin]?.popLast() }?.pointer ?? curl_easy_init()
    }

    /// Keeps `handle` for the next transfer to `url`'s origin, unless enough are kept already or
    /// the transfer it served was cut off (its state is then not worth trusting).
    func giveBack(_ handle: UnsafeMutableRawPointer, for url: String, reusable: Bool) {
        let origin = Self.origin(of: url)
        // No option may point at the finished transfer's buffers while the handle waits.
        curl_easy_reset(handle)
        let kept = Handle(pointer: handle)
        let stored = reusable && idle.withLock { idle in
            guard idle[origin, default: []].count < keptPerOrigin else { return false }
            idle[origin, default: []].append(kept)
            return true
        }
        if !stored { curl_easy_cleanup(handle) }
    }

    /// `scheme://host:port` of a URL: what a connection is to.
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        return String(url[..<schemeEnd.upperBound] + rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }
}
