import CPostgres
import Foundation
import FSExportCore

/// What `connection:` names: a conninfo string (`host=db dbname=analytics`) or a URL
/// (`postgresql://loader@db/analytics`), read by libpq, with its `PG*` variables, `~/.pgpass` and
/// service files filling in the rest as usual. Its password is a secret: remembered, so that
/// nothing shown ever carries it.
struct PostgresConnectionString: Sendable {
    let text: String
    /// `database analytics on db:5432 as loader`: what a message may say of it.
    let label: String

    init(_ text: String) throws(SinkError) {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &message) else {
            let reason = message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "it cannot be read"
            PQfreemem(message)
            throw SinkError(option: "connection", "not a libpq connection string or postgresql:// URL: \(OutsideText.shown(reason))")
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        if let password = values["password"] { Secrets.remember(password) }
        self.text = text
        let environment = ProcessInfo.processInfo.environment
        if let password = environment["PGPASSWORD"] { Secrets.remember(password) }
        let database = values["dbname"] ?? environment["PGDATABASE"] ?? "(the default database)"
        let host = values["host"] ?? environment["PGHOST"] ?? "localhost"
        label = "database \(database) on \(host)" + (values["port"].map { ":\($0)" } ?? "") + (values["user"].map { " as \($0)" } ?? "")
    }
}

/// A PostgreSQL connection through libpq.
final class PostgresDatabase: WarehouseDatabase {
    private let connection: OpaquePointer
    private let cancel: Canceller
    let label: String

    let dialect = SQLDialect(
        typeName: { type in
            switch type {
            case .text: "text"
            case .bigint: "bigint"
            case .integer: "integer"
            case .double: "double precision"
            case .boolean: "boolean"
            case .timestamp: "timestamptz"
            case .json: "jsonb"
            }
        },
        holdsAnyBytes: false,
        columnType: { declared in
            switch declared {
            case "bigint": .bigint
            case "integer", "smallint": .integer
            case "double precision", "real": .double
            case "boolean": .boolean
            case "jsonb", "json": .json
            case _ where declared.hasPrefix("timestamp") || declared == "date": .timestamp
            case _ where declared.hasPrefix("numeric"): .double
            default: .text
            }
        },
        rowFormat: CopyText.self,
        rowsAtOnce: 1024)

    init(_ connection: PostgresConnectionString) throws {
        label = connection.label
        // The user's settings come after fsexport's defaults, and win.
        let keywords = ["connect_timeout", "fallback_application_name", "keepalives_idle", "dbname"]
        let values = ["30", "fsexport", "60", connection.text]
        let handle = Self.withCStrings(keywords) { keywords in
            Self.withCStrings(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(handle)
            throw SinkError("cannot connect to PostgreSQL (\(label)): \(OutsideText.shown(message.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        self.connection = handle
        cancel = Canceller(PQgetCancel(handle))
        try execute("SET client_encoding = 'UTF8'", [])
        try execute("SET client_min_messages = warning", [])
    }

    deinit { PQfinish(connection) }

    var interruption: @Sendable () -> Void {
        let cancel = self.cancel
        return { cancel.fire() }
    }

    func execute(_ sql: String, _ parameters: [SQLValue]) throws {
        let result = try run(sql, parameters)
        PQclear(result)
    }

    func integer(_ sql: String, _ parameters: [SQLValue]) throws -> Int64? {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        guard PQntuples(result) > 0, PQgetisnull(result, 0, 0) == 0 else { return nil }
        return Int64(String(cString: PQgetvalue(result, 0, 0)))
    }

    func columns(of table: TableName) throws -> [(name: String, type: ColumnType)]? {
        let result = try run(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [.text(table.sql)])
        defer { PQclear(result) }
        let columns = (0..<PQntuples(result)).map { row in
            (String(cString: PQgetvalue(result, row, 0)), dialect.columnType(String(cString: PQgetvalue(result, row, 1))))
        }
        return columns.isEmpty ? nil : columns
    }

    func rows(into table: TableName, columns: [String]) throws -> any RowWriter {
        let result = try run("COPY \(table.sql) (\(columns.map(SQL.quote).joined(separator: ", "))) FROM STDIN", [], expecting: PGRES_COPY_IN)
        PQclear(result)
        return PostgresCopy(database: self)
    }

    // MARK: - Pieces

    /// Runs a statement with `?` parameters (as `$1`, `$2`, …, sent as text); its result when it
    /// has the status expected.
    private func run(_ sql: String, _ parameters: [SQLValue], expecting expected: ExecStatusType? = nil) throws -> OpaquePointer {
        var numbered = "", count = 0
        for character in sql {
            if character == "?" {
                count += 1
                numbered += "$\(count)"
            } else {
                numbered.append(character)
            }
        }
        let texts = parameters.map { parameter -> String in
            switch parameter {
            case .integer(let value): "\(value)"
            case .text(let value): value
            }
        }
        let result = Self.withCStrings(texts) { values in
            PQexecParams(connection, numbered, Int32(texts.count), nil, values, nil, nil, 0)
        }
        guard let result else { throw failure(doing: sql) }
        let status = PQresultStatus(result)
        let fine = expected.map { status == $0 } ?? (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        guard fine else {
            defer { PQclear(result) }
            throw failure(doing: sql, result: result)
        }
        return result
    }

    /// Sends a piece of a COPY's data.
    func copy(_ bytes: UnsafeRawBufferPointer) throws {
        guard PQputCopyData(connection, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) == 1 else {
            throw failure(doing: "COPY")
        }
    }

    /// Ends a COPY, and says how it went.
    func endCopy() throws {
        guard PQputCopyEnd(connection, nil) == 1 else { throw failure(doing: "COPY") }
        var failure: SinkError?
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) != PGRES_COMMAND_OK, failure == nil { failure = self.failure(doing: "COPY", result: result) }
            PQclear(result)
        }
        if let failure { throw failure }
    }

    func failure(doing what: String, result: OpaquePointer? = nil) -> SinkError {
        let message = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? ""
        let text = (message.isEmpty ? String(cString: PQerrorMessage(connection)) : message).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        let advice =
            switch state {
            case "42501": "; the role lacks the privilege: grant it, or name a table it owns"
            case "57014": "; the statement was cancelled"
            case _ where PQstatus(connection) != CONNECTION_OK: "; the connection was lost: the server rolled the bundle back, and the next run loads it again"
            default: ""
            }
        return SinkError("PostgreSQL (\(label)): \(OutsideText.shown(text)) (\(OutsideText.shown(what.prefix(120), limit: 120)))\(advice)")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for pointer in pointers { free(pointer) } }
        pointers.append(nil)
        return body(pointers.map { UnsafePointer($0) })
    }
}

/// libpq's cancel request, which may be sent from any thread (`PQcancel`), freed with the connection.
final class Canceller: @unchecked Sendable {
    private let handle: OpaquePointer?
    init(_ handle: OpaquePointer?) { self.handle = handle }
    deinit { PQfreeCancel(handle) }

    func fire() {
        guard let handle else { return }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &message, Int32(message.count))
    }
}

/// Rows into a table through `COPY … FROM STDIN`, in its text format (``CopyText``), sent as
/// they come: the encoder hands over pieces of about a MiB, the size the server takes fastest
/// (half a MiB at a time took half as long again).
final class PostgresCopy: RowWriter {
    private let database: PostgresDatabase

    init(database: PostgresDatabase) { self.database = database }

    func write(_ batch: any RowBatch) throws {
        guard let rows = batch as? CopyText else { preconditionFailure("PostgreSQL takes CopyText") }
        try rows.bytes.withUnsafeBytes { try database.copy($0) }
    }

    func finish() throws {
        try database.endCopy()
    }
}
