import FSExportCore
/// All bundles from a start time, paging through LIST by calling again with the last bundle's Stop.
///
/// The API returns bundles whose Stop is after `start`, oldest first. A page that breaks that
/// contract (a bundle whose Stop is not after the `start` asked for: a server that ignores
/// `start` and would be paged forever) ends the listing with ``ExportError/invalidResponse(_:)``.
/// Each page is put in (Stop, id) order, and no bundle is yielded twice. The listing ends at an
/// empty page, or at the first bundle whose Stop is after `until`.
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
        /// Every id yielded: a bundle is never handed out twice, whatever the server repeats.
        private var yielded: Set<Int64> = []
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
                    guard yielded.insert(bundle.id).inserted else { continue }
                    return bundle
                }
                try await fetchPage()
            }
            return nil
        }

        private mutating func fetchPage() async throws {
            let fetched = try await client.listPage(start: cursor)
            if let stale = fetched.first(where: { $0.stop <= cursor }) {
                throw ExportError.invalidResponse(
                    "LIST start=\(cursor) answered with bundle \(stale.id), whose Stop \(stale.stop) is not after start: "
                        + "the server does not page as the export API does, and following it could list forever or deliver a bundle twice")
            }
            guard !fetched.isEmpty else {
                finished = true
                return
            }
            page = fetched.sorted { ($0.stop, $0.id) < ($1.stop, $1.id) }
            index = 0
            cursor = page[page.count - 1].stop  // every Stop is after the old cursor: each page advances
        }
    }
}
