import CSVSink
import FSExportCommand

// Every fsexport command, with `type: csv` available to pipeline files.
await FSExportCommand.main(sinks: [CSVSink.self])
