import FSExportCore
/// All bundles from a start time, paging through LIST.
///
/// The API returns at most ``ListResponse/pageSize`` bundles whose Stop is after `start`, oldest
/// first. After a page, the next one starts just before that page's highest Stop (the API's
/// `start` is exclusive), so that bundles sharing that Stop, which a page may have cut in two, are
/// listed again rather than skipped; ids seen before are dropped. The listing ends at a page that
/// brings nothing new. A full page that brings nothing new is a page's worth of bundles sharing one
/// Stop, and there may be more of them than a page shows: no `start` pages past them without
/// perhaps skipping some, so the listing fails (``ExportError/invalidResponse(_:)``, a data error)
/// rather than lose any.
///
/// A page that breaks the contract (a bundle whose Stop is not after the `start` asked for: a
/// server that ignores `start` and would be paged forever) ends the listing the same way. Each page
/// is put in (Stop, id) order, and no bundle is yielded twice. The listing ends at the first bundle
/// whose Stop is after `until`.
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
            let sorted = fetched.sorted { ($0.stop, $0.id) < ($1.stop, $1.id) }
            guard sorted.contains(where: { !yielded.contains($0.id) }) else {
                if sorted.count >= ListResponse.pageSize, let stop = sorted.last?.stop {
                    throw ExportError.invalidResponse(
                        "LIST start=\(cursor) answered with a full page of \(sorted.count) bundles ending at \(Timestamp.iso8601(stop)), all listed before: "
                            + "a page's worth of bundles share that Stop, so there may be more than a page holds, and no start can page past them "
                            + "without perhaps skipping some; nothing after them is delivered rather than any lost (contact Fullstory support about bundle \(sorted[0].id))")
                }
                finished = true
                return
            }
            page = sorted
            index = 0
            // Just before the highest Stop: the bundles that share it come again, and repeats are dropped.
            cursor = sorted[sorted.count - 1].stop - 1
        }
    }
}
