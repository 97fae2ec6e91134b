import Glibc
import FSExportBasics

/// A transfer that got no whole answer, by kind, so that callers decide on the kind and never
/// on a library's error codes: curl's code stays in the words, for a bug report.
package struct TransportFailure: Error, Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable, CaseIterable {
        case hostNotFound = "dns"
        case connectionRefused = "connect"
        case timedOut = "timeout"
        /// Fewer bytes a second than the stall limit, for the stall window.
        case stalled
        /// Reset, closed or refused mid-transfer.
        case reset
        /// The body ended before its length.
        case cutShort = "short_body"
        case tlsHandshake = "tls"
        /// The server's certificate did not verify: no retry fixes it.
        case tlsVerification = "tls_verification"
        /// A redirect to something other than http(s).
        case redirectRefused = "redirect_refused"
        case tooManyRedirects = "redirect_loop"
        case badURL = "bad_url"
        case outOfFileDescriptors = "out_of_descriptors"
        case outOfMemory = "out_of_memory"
        case other = "network"

        /// Whether another attempt cannot help: the URL, a redirect, a certificate, a process limit.
        package var isPermanent: Bool {
            switch self {
            case .tlsVerification, .redirectRefused, .tooManyRedirects, .badURL, .outOfMemory: true
            default: false
            }
        }
    }

    package var kind: Kind
    /// The transfer library's own words (and code), for the end of the message.
    package var detail: String
    /// Set when headers had arrived before the failure.
    package var status: Int?
    package var headers: HeaderFields?

    package init(_ kind: Kind, detail: String, status: Int? = nil, headers: HeaderFields? = nil) {
        self.kind = kind
        self.detail = detail
        self.status = status
        self.headers = headers
    }

    /// The soft limit on open files (`ulimit -n`).
    package static var descriptorLimit: UInt64? {
        var limit = rlimit()
        return getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 ? UInt64(limit.rlim_cur) : nil
    }

    /// Whether a new descriptor can be had now.
    package static func descriptorsExhausted() -> Bool {
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if probe >= 0 {
            close(probe)
            return false
        }
        return errno == EMFILE || errno == ENFILE
    }

    package var description: String {
        // The common network failures in words, with what to check; the library's text after them.
        let words: String? =
            switch kind {
            case .outOfFileDescriptors:
                "this process ran out of file descriptors (ulimit -n \(Self.descriptorLimit.map(String.init) ?? "?")), so no connection could be made: raise the limit (ulimit -n 1024, or LimitNOFILE in a systemd unit)"
            case .redirectRefused: "the server redirected to a URL that is not http or https, which fsexport does not follow"
            case .hostNotFound: "cannot resolve the host name (DNS): check the base URL, and the machine's network and resolver"
            case .connectionRefused: "cannot connect to the host (refused or unreachable): check the base URL and any firewall or proxy"
            case .timedOut: "the connection timed out"
            case .stalled: "the transfer stalled"
            case .tlsHandshake, .tlsVerification: "the TLS handshake failed (check the machine's clock, CA certificates, or a TLS-intercepting proxy)"
            case .tooManyRedirects: "the server redirected more than 5 times (a redirect loop?): check the base URL and any proxy"
            case .badURL: "the URL is not valid"
            case .reset, .cutShort, .outOfMemory, .other: nil
            }
        let detail = OutsideText.shown(self.detail)  // the library's words may quote what a server sent
        return words.map { "\($0) [\(detail)]" } ?? detail
    }
}
