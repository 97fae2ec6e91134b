import FSExportCore

/// The table that makes a load exactly once: a row per bundle loaded into a table, written in the
/// transaction that loads the bundle. A bundle whose row is there was loaded; the state file, which
/// is written after the database commits, may not say so yet (a run killed in between).
///
/// `fsexport_loads(target_table, bundle_id, events, loaded_at)`, keyed by table and bundle, so that
/// one bundle loaded into two tables is two loads. It lives beside the table it records.
enum Ledger {
    static let tableName = "fsexport_loads"

    static func create(_ table: TableName, in database: any WarehouseDatabase) throws {
        let dialect = database.dialect
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS \(table.ledger.sql) (
              target_table \(dialect.typeName(.text)) NOT NULL,
              bundle_id \(dialect.typeName(.bigint)) NOT NULL,
              events \(dialect.typeName(.bigint)) NOT NULL,
              loaded_at \(dialect.typeName(.timestamp)) NOT NULL,
              PRIMARY KEY (target_table, bundle_id))
            """, [])
    }

    /// The events the bundle's load recorded, or nil when it was not loaded into `table`.
    static func loadedEvents(_ table: TableName, bundle: Int64, in database: any WarehouseDatabase) throws -> Int64? {
        try database.integer(
            "SELECT events FROM \(table.ledger.sql) WHERE target_table = ? AND bundle_id = ?", [.text(table.description), .integer(bundle)])
    }

    static func record(_ table: TableName, bundle: Int64, events: Int64, loadedAt: Int64, in database: any WarehouseDatabase) throws {
        try database.execute(
            """
            INSERT INTO \(table.ledger.sql) (target_table, bundle_id, events, loaded_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (target_table, bundle_id) DO UPDATE SET events = excluded.events, loaded_at = excluded.loaded_at
            """, [.text(table.description), .integer(bundle), .integer(events), .text(Timestamp.iso8601(loadedAt))])
    }
}
