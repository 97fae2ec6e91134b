import FSExportCore

/// `type: sqlite`: the bundle's events loaded into a table of a SQLite database file (the
/// system's libsqlite3), exactly once: see ``WarehouseLoad``.
///
/// ```yaml
/// warehouse:
///   type: sqlite
///   inputs: [source]
///   path: warehouse/fullstory.db
/// ```
public struct SQLiteSink: ConfigurableSink {
    public static let type = "sqlite"

    public struct Options: Decodable, Sendable {
        /// The database file, below `root`; made when missing.
        public var path: String
        /// The folder `path` is relative to; relative to the pipeline file. Default: its folder.
        public var root: String?
        /// Default `fullstory_events`.
        public var table: String?
        /// `typed` (a column per documented field, the rest in `extra`) or `json` (the whole event).
        public var schema: TableSchema?
        /// New top-level fields become columns (default true); otherwise they go to `extra`.
        public var evolve: Bool?
    }

    let database: String
    let table: TableName
    let evolve: Bool
    let load: WarehouseLoad

    public init(options: Options, context: SinkContext) throws {
        try WarehouseOptions.check(context)
        do { try Artifact.validate(name: options.path) } catch { throw SinkError(option: "path", "\(error)") }
        table = try TableName(parsing: options.table ?? WarehouseOptions.defaultTable, allowsSchema: false)
        evolve = options.evolve ?? true
        let root = ConfinedRoot(context.resolve(options.root ?? "."))
        let relative = options.path
        database = root.fullPath(relative)
        load = WarehouseLoad(
            settings: .init(table: table, schema: options.schema ?? .typed, label: "the SQLite database \(database)")
        ) {
            // Its folders made below the root without following a link; the file opened refusing one.
            if let slash = relative.lastIndex(of: "/") { try root.makeFolders(String(relative[..<slash])) }
            return try SQLiteDatabase(path: root.fullPath(relative))
        }
    }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        try await WarehouseDelivery.deliver(delivery, into: load, table: table, evolve: evolve)
    }
}

extension SQLiteSink: PlansOutput {
    public func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String] {
        ["table \(table) in \(database)"]
    }
}
