import FSExportSinkTesting

/// The tests' scratch folders are the sink authors' (one helper for both).
public typealias TemporaryFolder = FSExportSinkTesting.TemporaryFolder
