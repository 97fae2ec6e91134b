import Foundation
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

/// Rows going into a table: given a batch of them at a time (of any size: a driver cuts it as it
/// needs), and told when the last has come.
package protocol RowWriter: AnyObject {
    /// A batch made by a ``RowBatch`` of the type the driver asked for (``SQLDialect/rowFormat``).
    func write(_ rows: any RowBatch) throws
    /// Sends what is left; the writer is not used afterwards.
    func finish() throws
}

/// Rows gathered by the encoder, value by value in the order the driver was told (``extra``
/// last), in the form the driver sends: typed values to bind (SQLite), or COPY's text
/// (PostgreSQL), so that nothing is converted twice.
package protocol RowBatch: Sendable {
    init()
    var rows: Int { get }
    mutating func null()
    mutating func integer(_ value: Int64)
    mutating func double(_ value: Double)
    mutating func boolean(_ value: Bool)
    /// JSON text (a document), stored as it is.
    mutating func json(_ bytes: UnsafeBufferPointer<UInt8>)
    /// A JSON string's content as written between its quotes, stored unescaped (a text or a time).
    mutating func jsonString(_ content: UnsafeBufferPointer<UInt8>)
    mutating func endRow()
}

/// Rows as typed values, texts held in one buffer: nothing allocated for a value. SQLite binds them.
package struct TypedRows: RowBatch {
    package enum Value: Sendable {
        case null, integer(Int64), double(Double), boolean(Bool)
        /// Bytes of ``texts``.
        case text(Range<Int>)
    }

    package private(set) var values: [Value] = []
    package private(set) var texts: [UInt8] = []
    package private(set) var rows = 0

    package init() {}

    package mutating func null() { values.append(.null) }
    package mutating func integer(_ value: Int64) { values.append(.integer(value)) }
    package mutating func double(_ value: Double) { values.append(.double(value)) }
    package mutating func boolean(_ value: Bool) { values.append(.boolean(value)) }

    package mutating func json(_ bytes: UnsafeBufferPointer<UInt8>) {
        let start = texts.count
        texts.append(contentsOf: bytes)
        values.append(.text(start..<texts.count))
    }

    package mutating func jsonString(_ content: UnsafeBufferPointer<UInt8>) {
        let start = texts.count
        FieldLookup.unescape(content, into: &texts)
        values.append(.text(start..<texts.count))
    }

    package mutating func endRow() { rows += 1 }

    /// The values of rows `range`, in order.
    package func values(ofRows range: Range<Int>) -> ArraySlice<Value> {
        let columns = values.count / max(rows, 1)
        return values[(range.lowerBound * columns)..<(range.upperBound * columns)]
    }
}

/// Rows as COPY's text format writes them: fields split by tabs, rows ended by a newline, NULL as
/// `\N`, backslash, newline, carriage return and tab escaped. PostgreSQL reads them as they are.
package struct CopyText: RowBatch {
    package private(set) var bytes: [UInt8] = []
    package private(set) var rows = 0
    private var first = true
    private var unescaped: [UInt8] = []

    package init() { bytes.reserveCapacity(1 << 20) }

    private mutating func separate() {
        if first { first = false } else { bytes.append(0x09) }
    }

    package mutating func null() {
        separate()
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }

    package mutating func integer(_ value: Int64) {
        separate()
        // Digits made right to left in a small buffer: no String for each number.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    package mutating func double(_ value: Double) {
        separate()
        bytes.append(contentsOf: "\(value)".utf8)
    }

    package mutating func boolean(_ value: Bool) {
        separate()
        bytes.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// JSON text holds no raw control character: only its backslashes need escaping.
    package mutating func json(_ text: UnsafeBufferPointer<UInt8>) {
        separate()
        escaped(text)
    }

    package mutating func jsonString(_ content: UnsafeBufferPointer<UInt8>) {
        separate()
        // A JSON string without escapes holds no byte COPY escapes: copied as it is.
        guard Bytes.contains(UInt8(ascii: "\\"), in: content) else { return bytes.append(contentsOf: content) }
        unescaped.removeAll(keepingCapacity: true)
        FieldLookup.unescape(content, into: &unescaped)
        var text: [UInt8] = []
        swap(&text, &unescaped)
        defer { swap(&text, &unescaped) }
        text.withUnsafeBufferPointer { escaped($0) }
    }

    package mutating func endRow() {
        bytes.append(0x0A)
        first = true
        rows += 1
    }

    private mutating func escaped(_ text: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for index in text.indices {
            let escape: UInt8
            switch text[index] {
            case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
            case 0x0A: escape = UInt8(ascii: "n")
            case 0x0D: escape = UInt8(ascii: "r")
            case 0x09: escape = UInt8(ascii: "t")
            default: continue
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<index]))
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(escape)
            start = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
    }
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
    /// The form rows take on their way in.
    package var rowFormat: any RowBatch.Type
    /// Rows the encoder hands over at once: PostgreSQL's COPY goes fastest in pieces of a MiB or
    /// more, SQLite's statements take any, and smaller ones hold less memory.
    package var rowsAtOnce: Int
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

/// Byte searches at the speed of the C library.
enum Bytes {
    static func contains(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        return memchr(base, Int32(byte), bytes.count) != nil
    }

    /// Whether every byte is below 0x80, eight at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var index = 0
        let raw = UnsafeRawPointer(base)
        while index + 8 <= bytes.count {
            if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < bytes.count {
            if base[index] >= 0x80 { return false }
            index += 1
        }
        return true
    }
}
