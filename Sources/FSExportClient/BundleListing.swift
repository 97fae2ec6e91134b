/// All bundles from a start time, paging through LIST by calling again with the last bundle's Stop.
///
/// Ends when a page brings no bundle that was not already yielded, or at the first bundle whose
/// Stop is after `until`.
public struct BundleListing: AsyncSequence, Sendable {
    public typealias Element = ExportBundle

    let client: ExportClient
    let start: Int64
    let until: Int64?

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, cursor: start, until: until)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let client: ExportClient
        var cursor: Int64
        let until: Int64?
        private var page: [ExportBundle] = []
        private var index = 0
        private var seen: Set<Int64> = []
        private var finished = false

        init(client: ExportClient, cursor: Int64, until: Int64?) {
            self.client = client
            self.cursor = cursor
            self.until = until
        }

        public mutating func next() async throws -> ExportBundle? {
            while !finished {
                if index < page.count {
                    let bundle = page[index]
                    index += 1
                    if let until, bundle.stop > until {
                        finished = true
                        return nil
                    }
                    return bundle
                }
                try await fetchPage()
            }
            return nil
        }

        private mutating func fetchPage() async throws {
            let fetched = try await client.listPage(start: cursor)
            let fresh = fetched.filter { seen.insert($0.id).inserted }
            guard let last = fetched.last, !fresh.isEmpty else {
                finished = true
                return
            }
            cursor = Swift.max(cursor, last.stop)
            // Only bundles ending at the cursor can come back on the next page.
            seen = Set(fetched.filter { $0.stop >= cursor }.map(\.id))
            page = fresh
            index = 0
        }
    }
}
