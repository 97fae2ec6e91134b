import Foundation
import FSExportCore

/// Loads one bundle's events into a table, row by row as they arrive (never a bundle in memory),
/// inside the transaction the caller opened: each field to its column, the rest to `extra`, a
/// new field (with `evolve`) to a column added before the first row that needs it. A value that
/// does not fit its column's type goes to `extra` under its field's name, and is counted.
final class TableLoader {
    private let database: any WarehouseDatabase
    private let table: TableName
    private let evolve: Bool
    private(set) var shape: TableShape
    private var writer: any RowWriter
    private var keys = KeyTable()
    /// The event being encoded: each column's field (its key as written, its raw JSON value).
    private var slots: [(key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)?]
    private var extraFields: [(key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)] = []
    private var text: [UInt8] = []
    private var json: [UInt8] = []
    /// Values that went to `extra` because they did not fit their column, by column.
    private(set) var misfits: [String: Int] = [:]
    private(set) var events: Int64 = 0
    private let anyBytes: Bool
    private let extraIndex: Int?

    init(database: any WarehouseDatabase, table: TableName, shape: TableShape, evolve: Bool) throws {
        self.database = database
        self.table = table
        self.shape = shape
        self.evolve = evolve
        anyBytes = database.dialect.holdsAnyBytes
        slots = Array(repeating: nil, count: shape.columns.count)
        extraIndex = shape.columns.firstIndex { $0.name == TableShape.extraColumn }
        writer = try database.rows(into: table, columns: shape.columns.map(\.name))
    }

    /// Loads a batch's events, numbering them on from the last.
    func load(_ batch: EventBatch, bundle: Int64) throws {
        try batch.bytes.withUnsafeBytes { all in
            for range in batch.ranges {
                try encode(UnsafeRawBufferPointer(rebasing: all[range]).bindMemory(to: UInt8.self), bundle: bundle)
                events += 1
            }
        }
    }

    /// Sends the last rows; returns the number of events loaded.
    func finish() throws -> Int64 {
        try writer.finish()
        return events
    }

    // MARK: - One event

    private func encode(_ event: UnsafeBufferPointer<UInt8>, bundle: Int64) throws {
        if shape.schema == .json {
            try writer.integer(bundle)
            try writer.integer(events)
            for index in 2..<shape.columns.count {
                if shape.columns[index].name == TableShape.eventColumn { try writeJSON(event, column: TableShape.eventColumn) } else { try writer.null() }
            }
            return try writer.endRow()
        }
        for index in slots.indices { slots[index] = nil }
        extraFields.removeAll(keepingCapacity: true)
        try FieldLookup.forEachField(in: UnsafeRawBufferPointer(event)) { key, value in
            switch keys.destination(of: key, in: shape, evolve: evolve) {
            case .column(let index): slots[index] = (key, value)  // a repeated key: the last wins
            case .extra: extraFields.append((key, value))
            case .undecided(let name):
                guard let type = ColumnType.inferred(from: value) else { return extraFields.append((key, value)) }
                try addColumn(TableShape.Column(name: name, type: type), for: key)
                slots.append((key, value))
            }
        }
        // Values that do not fit their column join the other fields in `extra` before it is written.
        for index in 2..<shape.columns.count {
            guard let field = slots[index], !isNull(field.value), !fits(field.value, shape.columns[index].type) else { continue }
            misfits[shape.columns[index].name, default: 0] += 1
            extraFields.append(field)
            slots[index] = nil
        }
        try writer.integer(bundle)
        try writer.integer(events)
        for index in 2..<shape.columns.count {
            if index == extraIndex {
                try writeExtra()
            } else if let field = slots[index], !isNull(field.value) {
                try write(field.value, as: shape.columns[index].type)
            } else {
                try writer.null()
            }
        }
        try writer.endRow()
    }

    /// A new field's column, added before the row that needs it, in the same transaction: the
    /// rows so far are sent, the table altered, and rows go on with the new column.
    private func addColumn(_ column: TableShape.Column, for key: UnsafeBufferPointer<UInt8>) throws {
        try writer.finish()
        try database.execute("ALTER TABLE \(table.sql) ADD COLUMN \(SQL.quote(column.name)) \(database.dialect.typeName(column.type))", [])
        let index = shape.add(column)
        keys.remember(key, as: .column(index))
        writer = try database.rows(into: table, columns: shape.columns.map(\.name))
    }

    private func isNull(_ value: UnsafeBufferPointer<UInt8>) -> Bool { value.first == UInt8(ascii: "n") }

    // MARK: - Values

    /// Whether a field's raw JSON value can be stored in a column of `type` as it is.
    private func fits(_ value: UnsafeBufferPointer<UInt8>, _ type: ColumnType) -> Bool {
        switch type {
        case .text: return value.first == UInt8(ascii: "\"") && (anyBytes || Self.holdsInPostgres(value))
        case .timestamp: return value.first == UInt8(ascii: "\"") && RFC3339.looksLikeTime(UnsafeBufferPointer(rebasing: value.dropFirst().dropLast()))
        case .bigint: return Self.integer(value) != nil
        case .integer: return Self.integer(value).map { Int64(Int32.min)...Int64(Int32.max) ~= $0 } ?? false
        case .double: return Self.double(value) != nil
        case .boolean: return value.first == UInt8(ascii: "t") || value.first == UInt8(ascii: "f")
        case .json: return anyBytes || Self.holdsInPostgres(value)
        }
    }

    /// Writes a value that fits its column.
    private func write(_ value: UnsafeBufferPointer<UInt8>, as type: ColumnType) throws {
        switch type {
        case .text, .timestamp:
            text.removeAll(keepingCapacity: true)
            FieldLookup.unescape(UnsafeBufferPointer(rebasing: value.dropFirst().dropLast()), into: &text)
            try text.withUnsafeBytes { try writer.text($0) }
        case .bigint, .integer: try writer.integer(Self.integer(value)!)
        case .double: try writer.double(Self.double(value)!)
        case .boolean: try writer.boolean(value.first == UInt8(ascii: "t"))
        case .json: try writer.text(UnsafeRawBufferPointer(value))
        }
    }

    /// `extra`: the fields that have no column, and the values that did not fit theirs, as one
    /// JSON object built from their raw JSON (nothing decoded and encoded again); NULL when none.
    private func writeExtra() throws {
        guard !extraFields.isEmpty else { return try writer.null() }
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
        let document = json
        try document.withUnsafeBufferPointer { try writeJSON($0, column: TableShape.extraColumn) }
    }

    /// A JSON document, made fit for a database that holds only valid UTF-8 without NUL: bytes that
    /// are not UTF-8 become U+FFFD, and the escape `\u0000` becomes the text `\u0000` (counted).
    private func writeJSON(_ document: UnsafeBufferPointer<UInt8>, column: String) throws {
        if anyBytes || Self.holdsInPostgres(document) { return try writer.text(UnsafeRawBufferPointer(document)) }
        misfits[column, default: 0] += 1
        let valid = String(decoding: document, as: UTF8.self).replacingOccurrences(of: "\\u0000", with: "\\\\u0000")
        var bytes = Array(valid.utf8)
        try bytes.withUnsafeMutableBytes { try writer.text(UnsafeRawBufferPointer($0)) }
    }

    /// Raw JSON that PostgreSQL can hold: valid UTF-8, and no `\u0000` escape (text and jsonb hold no NUL).
    static func holdsInPostgres(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        var ascii = true
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            if byte >= 0x80 { ascii = false }
            if byte == UInt8(ascii: "\\"), index + 5 < raw.count, raw[index + 1] == UInt8(ascii: "u"), raw[index + 2] == UInt8(ascii: "0"),
                raw[index + 3] == UInt8(ascii: "0"), raw[index + 4] == UInt8(ascii: "0"), raw[index + 5] == UInt8(ascii: "0")
            {
                return false
            }
            index += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        return ascii || String(validating: raw, as: UTF8.self) != nil
    }

    /// A JSON number that is a whole number within Int64 (no fraction, no exponent).
    static func integer(_ raw: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = raw.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < raw.count else { return nil }
        var value: Int64 = 0
        while index < raw.count {
            let digit = Int64(raw[index]) - 48
            guard (0...9).contains(digit) else { return nil }
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

/// Where each field name goes, remembered by its raw bytes: an event's keys are looked up without
/// making a String, once the key has been seen. Bounded: past 4,096 keys the table starts over.
struct KeyTable {
    private var buckets: [UInt64: [(key: [UInt8], destination: TableShape.Destination)]] = [:]
    private var count = 0

    mutating func destination(of raw: UnsafeBufferPointer<UInt8>, in shape: TableShape, evolve: Bool) -> TableShape.Destination {
        let hash = Self.hash(raw)
        if let found = buckets[hash]?.first(where: { $0.key.elementsEqual(raw) }) { return found.destination }
        let destination = shape.destination(of: FieldLookup.unescape(raw), evolve: evolve)
        remember(raw, as: destination, hash: hash)
        return destination
    }

    mutating func remember(_ raw: UnsafeBufferPointer<UInt8>, as destination: TableShape.Destination) {
        remember(raw, as: destination, hash: Self.hash(raw))
    }

    private mutating func remember(_ raw: UnsafeBufferPointer<UInt8>, as destination: TableShape.Destination, hash: UInt64) {
        if count >= 4096 {
            buckets.removeAll(keepingCapacity: true)
            count = 0
        }
        var bucket = buckets[hash] ?? []
        bucket.removeAll { $0.key.elementsEqual(raw) }
        bucket.append((Array(raw), destination))
        buckets[hash] = bucket
        count += 1
    }

    private static func hash(_ raw: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
