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

    init(channel: AsyncThrowingChannel<SinkItem, any Error>) {
        self.channel = channel
    }

    public func makeAsyncIterator() -> AsyncThrowingChannel<SinkItem, any Error>.Iterator {
        channel.makeAsyncIterator()
    }

    /// The events: batches from the bundle, and the events of the files upstream stages publish
    /// when they hold events (a bundle, or NDJSON), which the engine decodes for the stages that
    /// read events (``Sink/reads``). A file that holds something else (an archive, a program's
    /// output) fails the stage with a ``SinkError`` that says so.
    public var events: Events { Events(input: self) }

    /// The files: the bundle file or upstream stages' files (event batches are skipped).
    public var files: Files { Files(input: self) }

    public struct Events: AsyncSequence, Sendable {
        public typealias Element = EventBatch
        let input: SinkInput

        public func makeAsyncIterator() -> Iterator { Iterator(items: input.makeAsyncIterator()) }

        public struct Iterator: AsyncIteratorProtocol {
            var items: AsyncThrowingChannel<SinkItem, any Error>.Iterator

            public mutating func next() async throws -> EventBatch? {
                switch try await items.next() {
                case .events(let batch)?: return batch
                case .file(let artifact)?:
                    throw SinkError(
                        "this stage iterates its input's events, but its sink says it reads files (reads: .files), so it was given "
                            + "'\(artifact.name)' undecoded; a sink that reads events says reads: .events (the default)")
                case nil: return nil
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
