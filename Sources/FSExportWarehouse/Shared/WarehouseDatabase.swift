import FSExportCore

/// What the shared loader needs of a database: one connection, used by one stage for one bundle
/// at a time. A driver is this and nothing more: SQL text, a few typed queries, and a fast way in
/// for rows (`COPY` for PostgreSQL, prepared multi-row inserts for SQLite).
package protocol WarehouseDatabase: AnyObject {
    /// Type names and what values the database can hold.
    var dialect: SQLDialect { get }
    /// Runs statements that return nothing (`BEGIN`, `CREATE TABLE`, …); `?` marks parameters.
    func execute(_ sql: String, _ parameters: [SQLValue]) throws
    /// The first column of the first row of a query, as an integer; nil when there is no row.
    func integer(_ sql: String, _ parameters: [SQLValue]) throws -> Int64?
    /// The table's columns and their types; nil when there is no such table.
    func columns(of table: TableName) throws -> [(name: String, type: ColumnType)]?
    /// Starts writing rows of `columns` into `table`; what it writes is part of the transaction.
    func rows(into table: TableName, columns: [String]) throws -> any RowWriter
    /// Stops the call in progress when called from another thread (`sqlite3_interrupt`,
    /// `PQcancel`): the call fails, and the transaction rolls back.
    var interruption: @Sendable () -> Void { get }
}

/// A value for a statement's parameter.
package enum SQLValue: Sendable {
    case integer(Int64)
    case text(String)
}

/// Rows going into a table, value by value in column order. Texts (times and JSON included) are
/// UTF-8, valid only during the call.
package protocol RowWriter: AnyObject {
    func null() throws
    func integer(_ value: Int64) throws
    func double(_ value: Double) throws
    func boolean(_ value: Bool) throws
    func text(_ bytes: UnsafeRawBufferPointer) throws
    func endRow() throws
    /// Sends what is left; the writer is not used afterwards.
    func finish() throws
}

/// What tells the two databases apart for the shared loader.
package struct SQLDialect: Sendable {
    /// The type a column of `type` is created with.
    package var typeName: @Sendable (ColumnType) -> String
    /// Whether text and JSON values may hold the NUL character and bytes that are not UTF-8
    /// (SQLite stores any bytes; PostgreSQL holds valid UTF-8 without NUL).
    package var holdsAnyBytes: Bool
    /// The type a column declared as `declared` holds, as the loader treats it.
    package var columnType: @Sendable (_ declared: String) -> ColumnType
}

/// A table's name: `events`, or `analytics.events` where the database has schemas.
public struct TableName: Sendable, Hashable, CustomStringConvertible {
    public var schema: String?
    public var name: String

    /// Parses `name` or `schema.name`; each part a name of 1 to 63 bytes without NUL or quotes.
    public init(parsing text: String, allowsSchema: Bool) throws(SinkError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (parts.count == 1 || (parts.count == 2 && allowsSchema)),
            parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 && !$0.contains("\0") && !$0.contains("\"") })
        else {
            throw SinkError(option: "table", "'\(text)' is not a table name: letters, digits and _ (at most 63 bytes)\(allowsSchema ? ", optionally schema.table" : "")")
        }
        schema = parts.count == 2 ? parts[0] : nil
        name = parts[parts.count - 1]
    }

    /// The ledger's table beside this one (same schema).
    var ledger: TableName {
        var ledger = self
        ledger.name = Ledger.tableName
        return ledger
    }

    /// Quoted for SQL: `"analytics"."events"`.
    package var sql: String { [schema, name].compactMap { $0 }.map(SQL.quote).joined(separator: ".") }

    public var description: String { [schema, name].compactMap { $0 }.joined(separator: ".") }
}

enum SQL {
    /// An identifier in double quotes, as both databases read them.
    static func quote(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
