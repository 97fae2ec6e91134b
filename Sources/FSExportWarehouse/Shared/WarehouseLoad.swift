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
        var evolve: Bool
        /// What a message calls the database: `the SQLite database out/events.db`.
        var label: String
    }

    private let settings: Settings
    private let open: @Sendable () throws -> any WarehouseDatabase
    private var database: (any WarehouseDatabase)?
    private var loader: TableLoader?
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
        /// Load its events.
        case load
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
            loader = try TableLoader(database: database, table: settings.table, shape: shape, evolve: settings.evolve)
            return .load
        } catch {
            rollback()
            throw error
        }
    }

    func load(_ batch: EventBatch, bundle: Int64) throws {
        guard let loader else { preconditionFailure("load outside a bundle's transaction") }
        do { try loader.load(batch, bundle: bundle) } catch {
            rollback()
            throw error
        }
    }

    /// Sends the last rows and records the bundle in the ledger, still inside the transaction.
    func finish(bundle: Int64, logger: Logger) throws -> Int64 {
        guard let loader, let database else { preconditionFailure("finish outside a bundle's transaction") }
        do {
            let events = try loader.finish()
            try Ledger.record(settings.table, bundle: bundle, events: events, in: database)
            for (column, count) in loader.misfits.sorted(by: { $0.key < $1.key }) {
                let type = loader.shape.columns.first { $0.name == column }?.type.rawValue ?? "?"
                logger.notice(
                    "\(count) value\(count == 1 ? "" : "s") of \(column) did not fit its type (\(type)) and went to extra as written",
                    metadata: ["column": "\(column)", "misfits": "\(count)"])
            }
            return events
        } catch {
            rollback()
            throw error
        }
    }

    func commit() throws {
        loader = nil
        guard let database else { return }
        do { try database.execute("COMMIT", []) } catch {
            rollback()
            throw error
        }
    }

    /// Takes the bundle back; a connection that cannot even roll back is dropped (the server
    /// rolls back what it held), and the next bundle opens a new one.
    func rollback() {
        loader = nil
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
