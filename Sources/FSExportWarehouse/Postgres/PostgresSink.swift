import FSExportCore

/// `type: postgres`: the bundle's events loaded into a PostgreSQL table through libpq (`COPY`),
/// exactly once: see ``WarehouseLoad``.
///
/// ```yaml
/// warehouse:
///   type: postgres
///   inputs: [source]
///   connection: postgresql://loader@db.example.com/analytics   # password: PGPASSWORD or ~/.pgpass
/// ```
public struct PostgresSink: ConfigurableSink {
    public static let type = "postgres"

    public struct Options: Decodable, Sendable {
        /// A libpq connection string or `postgresql://` URL; libpq's `PG*` variables, `~/.pgpass`
        /// and service files fill in what it leaves out.
        public var connection: String
        /// Default `fullstory_events`; `schema.table` to name a schema.
        public var table: String?
        /// `typed` (a column per documented field, the rest in `extra`) or `json` (the whole event).
        public var schema: TableSchema?
        /// New top-level fields become columns (default true); otherwise they go to `extra`.
        public var evolve: Bool?
    }

    let connection: PostgresConnectionString
    let table: TableName
    let evolve: Bool
    let load: WarehouseLoad

    public init(options: Options, context: SinkContext) throws {
        try WarehouseOptions.check(context)
        connection = try PostgresConnectionString(options.connection)
        table = try TableName(parsing: options.table ?? WarehouseOptions.defaultTable, allowsSchema: true)
        evolve = options.evolve ?? true
        let connection = self.connection
        load = WarehouseLoad(
            settings: .init(table: table, schema: options.schema ?? .typed, label: connection.label)
        ) { try PostgresDatabase(connection) }
    }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        try await WarehouseDelivery.deliver(delivery, into: load, table: table, evolve: evolve)
    }
}

extension PostgresSink: PlansOutput {
    public func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String] {
        ["table \(table) in the PostgreSQL \(connection.label)"]
    }
}
