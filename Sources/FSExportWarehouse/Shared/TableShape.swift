import FSExportCore

/// What a loaded table looks like: one column per documented field (`typed`), or the whole event in
/// one JSON column (`json`); either way `bundle_id` and `event_index`, its primary key.
public enum TableSchema: String, Sendable, Decodable, CaseIterable {
    case typed
    case json
}

/// A table as the loader writes it: its columns in order, and where each field of an event goes.
/// Columns it did not make (an existing table's own) are kept, and get NULL.
struct TableShape: Sendable {
    struct Column: Equatable, Sendable {
        var name: String
        var type: ColumnType
    }

    /// Where one top-level field of an event goes.
    enum Destination: Sendable {
        case column(Int)
        case extra
        /// Not a column yet; with `evolve`, its first value with a type makes it one.
        case undecided(column: String)
    }

    static let bundleColumn = "bundle_id", indexColumn = "event_index", extraColumn = "extra", eventColumn = "event"

    let schema: TableSchema
    private(set) var columns: [Column]
    /// Field names as written (case and all) to where they go: the documented fields and the
    /// columns of the same name, found by the lower-cased field name.
    private var byColumnName: [String: Int] = [:]

    /// The columns of a new table.
    init(creating schema: TableSchema) {
        var columns = [Column(name: Self.bundleColumn, type: .bigint), Column(name: Self.indexColumn, type: .integer)]
        switch schema {
        case .typed: columns += ExportFields.columns.map { Column(name: $0.field.lowercased(), type: $0.type) } + [Column(name: Self.extraColumn, type: .json)]
        case .json: columns.append(Column(name: Self.eventColumn, type: .json))
        }
        self.init(schema: schema, columns: columns)
    }

    /// An existing table, as the database describes it; it must have the columns fsexport needs.
    init(existing columns: [Column], schema: TableSchema, table: TableName) throws(SinkError) {
        let required = [Self.bundleColumn, Self.indexColumn, schema == .typed ? Self.extraColumn : Self.eventColumn]
        for name in required where !columns.contains(where: { $0.name == name }) {
            throw SinkError(
                "the table \(table) exists but has no column \(name): it was not made by fsexport for schema: \(schema.rawValue); "
                    + "name another table, or drop this one to let fsexport make it")
        }
        self.init(schema: schema, columns: columns)
    }

    private init(schema: TableSchema, columns: [Column]) {
        self.schema = schema
        self.columns = columns
        for (index, column) in columns.enumerated() { byColumnName[column.name] = index }
    }

    /// Where the field `key` goes, in a typed table: its column when one has its lower-cased name;
    /// `extra` for custom variables, for keys that make no plain column name, and for the names
    /// fsexport's own columns have; otherwise a new column if `evolve`, else `extra`.
    func destination(of key: String, evolve: Bool) -> Destination {
        guard schema == .typed, !ExportFields.isCustomVariable(key) else { return .extra }
        let name = key.lowercased()
        if let index = byColumnName[name] {
            return [Self.bundleColumn, Self.indexColumn, Self.extraColumn].contains(name) ? .extra : .column(index)
        }
        guard evolve, Self.isPlainName(name) else { return .extra }
        return .undecided(column: name)
    }

    /// The columns in the order rows give their values: the table's, with `extra` last, so that
    /// a value that does not fit its column can still join it.
    var writeOrder: [String] {
        columns.map(\.name).filter { $0 != Self.extraColumn } + (schema == .typed && byColumnName[Self.extraColumn] != nil ? [Self.extraColumn] : [])
    }

    /// Adds a column at the end; returns its index.
    mutating func add(_ column: Column) -> Int {
        columns.append(column)
        byColumnName[column.name] = columns.count - 1
        return columns.count - 1
    }

    /// A name that unquoted SQL reads as itself: lower-case letters, digits and `_`, not first a
    /// digit, at most 63 bytes.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }
}
