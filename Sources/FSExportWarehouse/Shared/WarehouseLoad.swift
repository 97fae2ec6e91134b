import FSExportCore
import Logging
import Synchronization

/// One stage's loading into one table, over one database connection that it keeps from bundle to
/// bundle: an actor on a thread of its own, since a database call blocks (a disk, a server) and
/// must not hold up the threads the rest of the run shares.
///
/// A bundle loads in one transaction that also writes its row of the ledger (``Ledger``): begun at
/// deliver, committed at the stage's commit, rolled back at abort. A bundle the ledger already has
/// is skipped, unless it is delivered again on purpose (``BundleContext/isRedelivery``): then its
/// rows are deleted in that transaction and loaded anew. So a run killed at any moment and run
/// again leaves one row per event, and a re-export replaces what it exports again.
actor WarehouseLoad {
    struct Settings: Sendable {
        var table: TableName
        var schema: TableSchema
        /// What a message calls the database: `the SQLite database out/events.db`.
        var label: String
    }

    private let settings: Settings
    private let open: @Sendable () throws -> any WarehouseDatabase
    private var database: (any WarehouseDatabase)?
    /// The rows of the bundle in progress, and the table's columns as they go in.
    private var writer: (any RowWriter)?
    private var columns: [String] = []
    private let thread = DedicatedThread(name: "fsexport-database")
    /// Stops the database call in progress, from any thread (a cancelled delivery).
    private let interrupter = Interrupter()

    nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    init(settings: Settings, open: @escaping @Sendable () throws -> any WarehouseDatabase) {
        self.settings = settings
        self.open = open
    }

    /// What a bundle's delivery does first.
    enum Start: Sendable {
        /// Load its events into a table of this shape, whose rows the dialect holds.
        case load(TableShape, SQLDialect)
        /// It is loaded already (`events` of them): nothing to do.
        case loaded(events: Int64)
    }

    /// Opens the transaction, makes the table and the ledger when missing, and decides what the
    /// bundle needs. Throws, and leaves no transaction open, when anything fails.
    func begin(bundle: Int64, redelivery: Bool, logger: Logger) throws -> Start {
        let database = try connection()
        try database.execute("BEGIN", [])
        do {
            let shape = try prepareTable(in: database)
            try Ledger.create(settings.table, in: database)
            if let events = try Ledger.loadedEvents(settings.table, bundle: bundle, in: database) {
                guard redelivery else {
                    try database.execute("ROLLBACK", [])
                    return .loaded(events: events)
                }
                logger.info("bundle \(bundle) was loaded into \(settings.table) before (\(events) events); replacing its rows")
                try database.execute("DELETE FROM \(settings.table.sql) WHERE \(TableShape.bundleColumn) = ?", [.integer(bundle)])
            }
            columns = shape.writeOrder
            writer = try database.rows(into: settings.table, columns: columns)
            return .load(shape, database.dialect)
        } catch {
            rollback()
            throw error
        }
    }

    /// Rows into the table, or a column added to it, inside the bundle's transaction.
    func apply(_ change: TableChange) throws {
        guard let writer, let database else { preconditionFailure("a change outside a bundle's transaction") }
        do {
            switch change {
            case .rows(let rows):
                try writer.write(rows)
            case .addColumn(let column):
                try writer.finish()
                try database.execute(
                    "ALTER TABLE \(settings.table.sql) ADD COLUMN \(SQL.quote(column.name)) \(database.dialect.typeName(column.type))", [])
                // In the writers' order: extra stays last.
                columns.insert(column.name, at: columns.last == TableShape.extraColumn ? columns.count - 1 : columns.count)
                self.writer = try database.rows(into: settings.table, columns: columns)
            }
        } catch {
            rollback()
            throw error
        }
    }

    /// Sends the last rows and records the bundle in the ledger as loaded at `time` (unix
    /// seconds), still inside the transaction.
    func finish(bundle: Int64, at time: Int64, events: Int64, misfits: [String: Int], types: [String: ColumnType], logger: Logger) throws {
        guard let writer, let database else { preconditionFailure("finish outside a bundle's transaction") }
        do {
            try writer.finish()
            self.writer = nil
            try Ledger.record(settings.table, bundle: bundle, events: events, loadedAt: time, in: database)
            for (column, count) in misfits.sorted(by: { $0.key < $1.key }) {
                logger.notice(
                    "\(count) value\(count == 1 ? "" : "s") of \(column) did not fit its type (\(types[column]?.rawValue ?? "?")) and went to extra as written",
                    metadata: ["column": "\(column)", "misfits": "\(count)"])
            }
        } catch {
            rollback()
            throw error
        }
    }

    func commit() throws {
        writer = nil
        guard let database else { return }
        do { try database.execute("COMMIT", []) } catch {
            rollback()
            throw error
        }
    }

    /// Takes the bundle back; a connection that cannot even roll back is dropped (the server
    /// rolls back what it held), and the next bundle opens a new one.
    func rollback() {
        writer = nil
        guard let database else { return }
        do { try database.execute("ROLLBACK", []) } catch {
            interrupter.clear()  // before the connection goes: nothing may interrupt a closed one
            self.database = nil
        }
    }

    // MARK: - Pieces

    private func connection() throws -> any WarehouseDatabase {
        if let database { return database }
        let opened = try open()
        database = opened
        interrupter.set(opened.interruption)
        return opened
    }

    /// Asks the database to stop the call in progress: it fails, and the bundle rolls back.
    nonisolated func interrupt() { interrupter.fire() }

    /// The table as it is, or made with the schema's columns when missing.
    private func prepareTable(in database: any WarehouseDatabase) throws -> TableShape {
        if let existing = try database.columns(of: settings.table) {
            return try TableShape(existing: existing.map { TableShape.Column(name: $0.name, type: $0.type) }, schema: settings.schema, table: settings.table)
        }
        let shape = TableShape(creating: settings.schema)
        let columns = shape.columns.map { "\(SQL.quote($0.name)) \(database.dialect.typeName($0.type))" }.joined(separator: ", ")
        try database.execute(
            "CREATE TABLE \(settings.table.sql) (\(columns), PRIMARY KEY (\(TableShape.bundleColumn), \(TableShape.indexColumn)))", [])
        return shape
    }
}

/// A way to stop a database call from another thread, set once the connection is open.
final class Interrupter: Sendable {
    private let action = Mutex<(@Sendable () -> Void)?>(nil)
    func set(_ interrupt: @escaping @Sendable () -> Void) { action.withLock { $0 = interrupt } }
    func clear() { action.withLock { $0 = nil } }
    /// Under the lock, so that a connection cleared and closed meanwhile is not reached.
    func fire() { action.withLock { $0?() } }
}
