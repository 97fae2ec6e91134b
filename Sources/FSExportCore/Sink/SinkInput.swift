import AsyncAlgorithms

/// One thing a stage receives: a batch of the bundle's events, or a file.
public enum SinkItem: Sendable {
    case events(EventBatch)
    case file(Artifact)
}

/// What flows into a stage for one bundle, with back-pressure: the producer waits until the stage
/// takes the next item. Iterate it directly, or through ``events`` or ``files``.
public struct SinkInput: AsyncSequence, Sendable {
    public typealias Element = SinkItem
    let channel: AsyncThrowingChannel<SinkItem, any Error>
    /// The field the stage reads in every event (``ReadsField``): noted when files are decoded here.
    let field: String?

    init(channel: AsyncThrowingChannel<SinkItem, any Error>, indexing field: String? = nil) {
        self.channel = channel
        self.field = field
    }

    public func makeAsyncIterator() -> AsyncThrowingChannel<SinkItem, any Error>.Iterator {
        channel.makeAsyncIterator()
    }

    /// The events: batches from the bundle, and the events of the files upstream stages publish
    /// when they hold events (a bundle, or NDJSON). A file that holds something else (an
    /// archive, a program's output) fails the stage with a ``SinkError`` that says so.
    public var events: Events { Events(input: self) }

    /// The files: the bundle file or upstream stages' files (event batches are skipped).
    public var files: Files { Files(input: self) }

    public struct Events: AsyncSequence, Sendable {
        public typealias Element = EventBatch
        let input: SinkInput

        public func makeAsyncIterator() -> Iterator { Iterator(items: input.makeAsyncIterator(), field: input.field) }

        public struct Iterator: AsyncIteratorProtocol {
            var items: AsyncThrowingChannel<SinkItem, any Error>.Iterator
            let field: String?
            var reading: BundleDecoder?

            public mutating func next() async throws -> EventBatch? {
                while true {
                    if let decoder = reading {
                        if let batch = try await decoder.next() { return batch }
                        reading = nil
                    }
                    switch try await items.next() {
                    case .events(let batch)?: return batch
                    case .file(let artifact)?: reading = try Self.decoder(for: artifact, indexing: field)
                    case nil: return nil
                    }
                }
            }

            static func decoder(for artifact: Artifact, indexing field: String?) throws -> BundleDecoder {
                switch artifact.content {
                case .bundle(let encoding): return try BundleDecoder(path: artifact.path, encoding: encoding, indexing: field)
                case .ndjson: return try BundleDecoder.ndjson(path: artifact.path, indexing: field)
                case .opaque:
                    throw SinkError(
                        "this stage reads events, but '\(artifact.name)' from the stage before it holds no events (an archive, a program's output); "
                            + "read it as files (reads: .files), or give it a name ending in .ndjson if it is NDJSON")
                }
            }
        }
    }

    public struct Files: AsyncSequence, Sendable {
        public typealias Element = Artifact
        let input: SinkInput

        public func makeAsyncIterator() -> Iterator { Iterator(items: input.makeAsyncIterator()) }

        public struct Iterator: AsyncIteratorProtocol {
            var items: AsyncThrowingChannel<SinkItem, any Error>.Iterator

            public mutating func next() async throws -> Artifact? {
                while let item = try await items.next() {
                    if case .file(let artifact) = item { return artifact }
                }
                return nil
            }
        }
    }
}
