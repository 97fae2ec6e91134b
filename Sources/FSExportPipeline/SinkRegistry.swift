import FSExportCore
import FSExportS3
import FSExportSinks
import FSExportWarehouse
import Yams

/// The sink types a pipeline file may name: the built-in ones, plus any you register.
///
/// ```swift
/// var registry = SinkRegistry.builtIn
/// registry.register(CSVSink.self)
/// ```
public struct SinkRegistry: Sendable {
    struct Entry: Sendable {
        var build: @Sendable (_ decoder: any Decoder, _ context: SinkContext) throws -> any Sink
    }

    private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// files, ndjson, tar, command, external, s3, sqlite and postgres.
    public static var builtIn: SinkRegistry {
        var registry = SinkRegistry()
        registry.register(FilesSink.self)
        registry.register(NDJSONSink.self)
        registry.register(TarSink.self)
        registry.register(CommandSink.self)
        registry.register(ExternalSink.self)
        registry.register(S3Sink.self)
        registry.register(SQLiteSink.self)
        registry.register(PostgresSink.self)
        return registry
    }

    /// Makes `type: S.type` available to pipeline files (replacing a sink of the same name).
    public mutating func register<S: ConfigurableSink>(_ sink: S.Type) {
        entries[S.type] = Entry { decoder, context in
            try S(options: try S.Options(from: decoder), context: context)
        }
    }

    /// Registers a sink type known only at run time (``register(_:)`` for a concrete type).
    public mutating func register(any sink: any ConfigurableSink.Type) {
        register(sink)
    }

    public var types: [String] { entries.keys.sorted() }
}
