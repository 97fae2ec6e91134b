import Foundation
import FSExportCore

/// What the encoder hands to the database, in order: rows, and the columns a new field needs,
/// each added before the rows that use it.
enum TableChange: Sendable {
    case rows(any RowBatch)
    case addColumn(TableShape.Column)
}

/// Turns one bundle's events into rows of a table, in its column order, as they arrive (never a
/// bundle in memory): each field to its column, the rest to `extra`, a new field (with `evolve`)
/// to a column added before the first row that needs it. A value that does not fit its column's
/// type goes to `extra` under its field's name, and is counted. It runs in the stage's task and
/// touches no database: what it makes waits in ``outbox`` for the database's thread.
struct RowEncoder<Rows: RowBatch> {
    private let evolve: Bool
    private(set) var shape: TableShape
    private var rows = Rows()
    private let batchRows: Int
    /// Rows and columns ready for the database, in order.
    private var outbox: [TableChange] = []
    private var keys = KeyTable()
    /// The event being encoded: each column's field (its key as written, its raw JSON value), valid
    /// where ``filled`` holds this event's number (no clearing between events).
    private var slots: [(key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)]
    private var filled: [Int64]
    private var extraFields: [(key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)] = []
    private var json: [UInt8] = []
    /// Values that went to `extra` because they did not fit their column, by column.
    private(set) var misfits: [String: Int] = [:]
    private(set) var events: Int64 = 0
    private let anyBytes: Bool
    private var extraIndex: Int?
    private var types: [ColumnType]

    init(shape: TableShape, evolve: Bool, dialect: SQLDialect) {
        self.shape = shape
        self.evolve = evolve
        batchRows = dialect.rowsAtOnce
        anyBytes = dialect.holdsAnyBytes
        slots = Array(repeating: (UnsafeBufferPointer(start: nil, count: 0), UnsafeBufferPointer(start: nil, count: 0)), count: shape.columns.count)
        filled = Array(repeating: -1, count: shape.columns.count)
        extraIndex = shape.columns.firstIndex { $0.name == TableShape.extraColumn }
        types = shape.columns.map(\.type)
    }

    /// Encodes a batch's events, numbering them on from the last.
    mutating func encode(_ batch: EventBatch, bundle: Int64) {
        batch.bytes.withUnsafeBytes { all in
            for range in batch.ranges {
                encode(UnsafeRawBufferPointer(rebasing: all[range]).bindMemory(to: UInt8.self), bundle: bundle)
            }
        }
    }

    /// What is ready for the database, taken: rows of `batchRows`, and new columns.
    mutating func takeOutbox() -> [TableChange] {
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox
    }

    /// The rows gathered so far, ready too: at the end of the bundle.
    mutating func flush() {
        guard rows.rows > 0 else { return }
        outbox.append(.rows(rows))
        rows = Rows()
    }

    private mutating func encode(_ event: UnsafeBufferPointer<UInt8>, bundle: Int64) {
        defer { events += 1 }
        if shape.schema == .json {
            rows.integer(bundle)
            rows.integer(events)
            for index in 2..<shape.columns.count {
                if shape.columns[index].name == TableShape.eventColumn { writeJSON(event, column: TableShape.eventColumn) } else { rows.null() }
            }
            return endRow()
        }
        extraFields.removeAll(keepingCapacity: true)
        var fields = FieldLookup.Fields(UnsafeRawBufferPointer(event))
        while let (key, value) = fields.next() {
            switch keys.destination(of: key, in: shape, evolve: evolve) {
            case .column(let index):
                slots[index] = (key, value)  // a repeated key: the last wins
                filled[index] = events
            case .extra: extraFields.append((key, value))
            case .undecided(let name):
                guard let type = ColumnType.inferred(from: value) else {
                    extraFields.append((key, value))
                    continue
                }
                addColumn(TableShape.Column(name: name, type: type), for: key)
                slots.append((key, value))
                filled.append(events)
            }
        }
        rows.integer(bundle)
        rows.integer(events)
        // One pass over the columns, in the writers' order (extra last): a value that does not
        // fit its column joins the fields in `extra`, written at the end of the row.
        for index in 2..<slots.count where index != extraIndex {
            if filled[index] == events, !Self.isNull(slots[index].value) {
                if !write(slots[index].value, as: types[index]) {
                    misfits[shape.columns[index].name, default: 0] += 1
                    extraFields.append(slots[index])
                    rows.null()
                }
            } else {
                rows.null()
            }
        }
        if extraIndex != nil { writeExtra() }
        endRow()
    }

    private mutating func endRow() {
        rows.endRow()
        if rows.rows >= batchRows { flush() }
    }

    /// A new field's column, added before the row that needs it, in the same transaction: the
    /// rows so far go first, then the column, then rows with it.
    private mutating func addColumn(_ column: TableShape.Column, for key: UnsafeBufferPointer<UInt8>) {
        flush()
        outbox.append(.addColumn(column))
        let index = shape.add(column)
        types.append(column.type)
        keys.remember(key, as: .column(index))
    }

    private static func isNull(_ value: UnsafeBufferPointer<UInt8>) -> Bool { value.first == UInt8(ascii: "n") }

    // MARK: - Values

    /// Writes a value when it fits its column as it is, and says whether it did (nothing written when not).
    private mutating func write(_ value: UnsafeBufferPointer<UInt8>, as type: ColumnType) -> Bool {
        switch type {
        case .text:
            guard value.first == UInt8(ascii: "\""), anyBytes || Self.holdsInPostgres(value) else { return false }
            rows.jsonString(Self.content(of: value))
        case .timestamp:
            guard value.first == UInt8(ascii: "\""), RFC3339.looksLikeTime(Self.content(of: value)) else { return false }
            rows.jsonString(Self.content(of: value))
        case .bigint:
            guard let number = Self.integer(value) else { return false }
            rows.integer(number)
        case .integer:
            guard let number = Self.integer(value), Int64(Int32.min)...Int64(Int32.max) ~= number else { return false }
            rows.integer(number)
        case .double:
            guard let number = Self.double(value) else { return false }
            rows.double(number)
        case .boolean:
            guard value.first == UInt8(ascii: "t") || value.first == UInt8(ascii: "f") else { return false }
            rows.boolean(value.first == UInt8(ascii: "t"))
        case .json:
            guard anyBytes || Self.holdsInPostgres(value) else { return false }
            rows.json(value)
        }
        return true
    }

    /// A JSON string's content, between its quotes.
    private static func content(of value: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: value[(value.startIndex + 1)..<(value.endIndex - 1)])
    }

    /// `extra`: the fields that have no column, and the values that did not fit theirs, as one
    /// JSON object built from their raw JSON (nothing decoded and encoded again); NULL when none.
    private mutating func writeExtra() {
        guard !extraFields.isEmpty else { return rows.null() }
        json.removeAll(keepingCapacity: true)
        json.append(UInt8(ascii: "{"))
        for (offset, field) in extraFields.enumerated() {
            if offset > 0 { json.append(UInt8(ascii: ",")) }
            json.append(UInt8(ascii: "\""))
            json.append(contentsOf: field.key)
            json.append(contentsOf: "\":".utf8)
            json.append(contentsOf: field.value)
        }
        json.append(UInt8(ascii: "}"))
        var document: [UInt8] = []
        swap(&document, &json)
        defer { swap(&document, &json) }
        document.withUnsafeBufferPointer { writeJSON($0, column: TableShape.extraColumn) }
    }

    /// A JSON document, made fit for a database that holds only valid UTF-8 without NUL: bytes that
    /// are not UTF-8 become U+FFFD, and the escape `\u0000` becomes the text `\u0000` (counted).
    private mutating func writeJSON(_ document: UnsafeBufferPointer<UInt8>, column: String) {
        if anyBytes || Self.holdsInPostgres(document) { return rows.json(document) }
        misfits[column, default: 0] += 1
        Array(Self.fitForPostgres(document).utf8).withUnsafeBufferPointer { rows.json($0) }
    }

    private static func fitForPostgres(_ document: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: document, as: UTF8.self).replacingOccurrences(of: "\\u0000", with: "\\\\u0000")
    }

    /// Raw JSON that PostgreSQL can hold: valid UTF-8, and no `\u0000` escape (text and jsonb hold no NUL).
    static func holdsInPostgres(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        if Bytes.contains(UInt8(ascii: "\\"), in: raw) {
            var index = 0
            while index < raw.count {
                if raw[index] == UInt8(ascii: "\\") {
                    if index + 5 < raw.count, raw[index + 1] == UInt8(ascii: "u"), raw[index + 2] == UInt8(ascii: "0"), raw[index + 3] == UInt8(ascii: "0"),
                        raw[index + 4] == UInt8(ascii: "0"), raw[index + 5] == UInt8(ascii: "0")
                    {
                        return false
                    }
                    index += 2
                } else {
                    index += 1
                }
            }
        }
        return Bytes.isASCII(raw) || String(validating: raw, as: UTF8.self) != nil
    }

    /// A JSON number that is a whole number within Int64 (no fraction, no exponent).
    static func integer(_ raw: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = raw.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < raw.count else { return nil }
        var value: Int64 = 0
        while index < raw.count {
            let digit = Int64(raw[index]) &- 48
            guard digit >= 0, digit <= 9 else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return value
    }

    /// A JSON number, as a Double.
    static func double(_ raw: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let first = raw.first, first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), raw.count < 64 else { return nil }
        return Double(String(decoding: raw, as: UTF8.self)).flatMap { $0.isFinite ? $0 : nil }
    }
}
