import FSExportCore

/// The consecutive windows `[t, t + size)`, aligned to multiples of `size`, whose end is after
/// `after` and not after `last`: the units a segment export source delivers, each as an
/// ``ExportBundle`` whose id is its start (unix seconds) and whose Stop is its end.
///
/// Lazy: a year of hourly windows costs nothing until it is walked.
public struct ExportWindows: AsyncSequence, Sendable {
    public typealias Element = ExportBundle

    let size: Int64
    let after: Int64
    let last: Int64

    /// The windows ending after `after` and no later than `last`.
    public init(size: Int64, after: Int64, last: Int64) {
        precondition(size > 0)
        self.size = size
        self.after = after
        self.last = last
    }

    public func makeAsyncIterator() -> Iterator {
        // The first window that ends after `after`; a window starting at 0 (1970) has no valid id.
        let first = Swift.max(Self.floor(after, size), size)
        return Iterator(next: first, size: size, last: last)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var next: Int64
        let size: Int64
        let last: Int64

        public mutating func next() async throws -> ExportBundle? {
            let (stop, overflow) = next.addingReportingOverflow(size)
            guard !overflow, stop <= last else { return nil }
            defer { next = stop }
            return ExportBundle(id: next, start: next, stop: stop)
        }
    }

    static func floor(_ value: Int64, _ size: Int64) -> Int64 {
        let quotient = value / size
        return (value % size < 0 ? quotient - 1 : quotient) * size
    }
}
