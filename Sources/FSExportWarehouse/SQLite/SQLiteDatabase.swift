import CSQLite
import FSExportCore

/// A SQLite database file, through the system's libsqlite3: WAL journal (readers go on reading
/// while a bundle loads), every commit synced before the state file records the bundle.
final class SQLiteDatabase: WarehouseDatabase {
    private let handle: OpaquePointer
    let path: String

    let dialect = SQLDialect(
        typeName: { type in
            switch type {
            case .text: "TEXT"
            case .bigint: "BIGINT"
            case .integer: "INTEGER"
            case .double: "DOUBLE"
            case .boolean: "BOOLEAN"
            case .timestamp: "TIMESTAMP"
            case .json: "JSON"
            }
        },
        holdsAnyBytes: true,
        columnType: { declared in
            // SQLite's integers are all 64-bit, whatever the declared name says.
            let name = declared.uppercased()
            if name.contains("INT") { return .bigint }
            if name.contains("REAL") || name.contains("FLOA") || name.contains("DOUB") { return .double }
            if name.contains("BOOL") { return .boolean }
            if name.contains("TIME") || name.contains("DATE") { return .timestamp }
            if name.contains("JSON") { return .json }
            return .text
        },
        rowFormat: TypedRows.self,
        rowsAtOnce: 512)

    /// Opens (or creates) the database at `path`, which must not be a symbolic link.
    init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close(handle)
            throw SinkError("cannot open the SQLite database \(path): \(message)")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 30_000)  // a reader's lock is waited for, not a failure
        try execute("PRAGMA journal_mode = WAL", [])
        try execute("PRAGMA synchronous = FULL", [])
    }

    deinit { sqlite3_close_v2(handle) }

    var interruption: @Sendable () -> Void {
        let handle = UncheckedHandle(handle)
        return { sqlite3_interrupt(handle.pointer) }  // the one call SQLite allows from another thread
    }

    func execute(_ sql: String, _ parameters: [SQLValue]) throws {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        try bind(parameters, to: statement)
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(status, doing: sql) }
        }
    }

    func integer(_ sql: String, _ parameters: [SQLValue]) throws -> Int64? {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        try bind(parameters, to: statement)
        let status = sqlite3_step(statement)
        if status == SQLITE_DONE { return nil }
        guard status == SQLITE_ROW else { throw failure(status, doing: sql) }
        return sqlite3_column_int64(statement, 0)
    }

    func columns(of table: TableName) throws -> [(name: String, type: ColumnType)]? {
        let statement = try prepare("SELECT name, type FROM pragma_table_info(?)")
        defer { sqlite3_finalize(statement) }
        try bind([.text(table.name)], to: statement)
        var columns: [(name: String, type: ColumnType)] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(status, doing: "reading the columns of \(table)") }
            columns.append((text(statement, 0), dialect.columnType(text(statement, 1))))
        }
        return columns.isEmpty ? nil : columns
    }

    func rows(into table: TableName, columns: [String]) throws -> any RowWriter {
        try SQLiteRows(database: self, table: table, columns: columns)
    }

    // MARK: - Pieces

    func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status, doing: sql) }
        return statement
    }

    private func bind(_ parameters: [SQLValue], to statement: OpaquePointer) throws {
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch parameter {
            case .integer(let value): status = sqlite3_bind_int64(statement, index, value)
            case .text(let value): status = sqlite3_bind_text(statement, index, value, -1, Self.transient)
            }
            guard status == SQLITE_OK else { throw failure(status, doing: "binding a parameter") }
        }
    }

    private func text(_ statement: OpaquePointer, _ column: Int32) -> String {
        sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
    }

    /// SQLite copies what it is given (`SQLITE_TRANSIENT`, a cast macro Swift cannot import).
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func failure(_ status: Int32, doing what: String) -> SinkError {
        let message = String(cString: sqlite3_errmsg(handle))
        let advice =
            switch status & 0xFF {
            case SQLITE_BUSY, SQLITE_LOCKED: "; another process holds the database's write lock: let it finish"
            case SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN: "; check that the file and its folder can be written"
            case SQLITE_FULL: "; the disk is full"
            case SQLITE_CORRUPT, SQLITE_NOTADB: "; the file is not a healthy SQLite database"
            default: ""
            }
        return SinkError("SQLite \(path): \(OutsideText.shown(message)) (\(OutsideText.shown(what.prefix(120), limit: 120)))\(advice)")
    }
}

/// A SQLite handle, for `sqlite3_interrupt` alone, which SQLite allows from any thread.
struct UncheckedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// Rows into a SQLite table through prepared multi-row inserts: a statement for as many rows as
/// its parameters allow (64 at most), bound from the encoder's buffer where its bytes lie.
final class SQLiteRows: RowWriter {
    private let database: SQLiteDatabase
    private let insert: String
    private let columnCount: Int
    private let batchRows: Int
    private let statement: OpaquePointer

    init(database: SQLiteDatabase, table: TableName, columns: [String]) throws {
        self.database = database
        columnCount = columns.count
        // As many rows as SQLite's 32,766 parameters allow, up to 64.
        batchRows = max(1, min(64, 32_766 / max(1, columns.count)))
        insert = "INSERT INTO \(table.sql) (\(columns.map(SQL.quote).joined(separator: ", "))) VALUES "
        statement = try database.prepare(Self.sql(insert, columns: columns.count, rows: batchRows))
    }

    deinit { sqlite3_finalize(statement) }

    private static func sql(_ insert: String, columns: Int, rows: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        return insert + Array(repeating: row, count: rows).joined(separator: ",")
    }

    /// Statements of `batchRows` rows, then one for the rows left.
    func write(_ batch: any RowBatch) throws {
        guard let rows = batch as? TypedRows else { preconditionFailure("SQLite takes TypedRows") }
        var start = 0
        while rows.rows - start >= batchRows {
            try run(statement, rows, start..<start + batchRows)
            start += batchRows
        }
        guard start < rows.rows else { return }
        let rest = try database.prepare(Self.sql(insert, columns: columnCount, rows: rows.rows - start))
        defer { sqlite3_finalize(rest) }
        try run(rest, rows, start..<rows.rows)
    }

    func finish() {}

    private func run(_ statement: OpaquePointer, _ rows: TypedRows, _ range: Range<Int>) throws {
        try rows.texts.withUnsafeBytes { texts in
            for (offset, value) in rows.values(ofRows: range).enumerated() {
                let index = Int32(offset + 1)
                let status: Int32
                switch value {
                case .null: status = sqlite3_bind_null(statement, index)
                case .integer(let number): status = sqlite3_bind_int64(statement, index, number)
                case .double(let number): status = sqlite3_bind_double(statement, index, number)
                case .boolean(let flag): status = sqlite3_bind_int64(statement, index, flag ? 1 : 0)
                case .text(let range) where range.isEmpty:
                    status = sqlite3_bind_text(statement, index, "", 0, SQLiteDatabase.transient)  // not NULL: an empty text
                case .text(let range):
                    // Bound where it lies: the buffer is not touched until the statement has run.
                    let start = texts.baseAddress!.advanced(by: range.lowerBound).assumingMemoryBound(to: CChar.self)
                    status = sqlite3_bind_text(statement, index, start, Int32(range.count), nil)
                }
                guard status == SQLITE_OK else { throw database.failure(status, doing: "binding a row") }
            }
            let status = sqlite3_step(statement)
            guard status == SQLITE_DONE else { throw database.failure(status, doing: "inserting rows") }
        }
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }
}
