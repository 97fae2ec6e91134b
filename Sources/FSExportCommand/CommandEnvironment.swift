import FSExportCore
import FSExportPipeline
import Synchronization

/// What a program that embeds the command tree adds to it: its own sinks.
enum CommandEnvironment {
    static let registry = Mutex(SinkRegistry.builtIn)

    static var sinks: SinkRegistry { registry.withLock { $0 } }
}
