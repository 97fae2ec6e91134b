/// A run of consecutive events: one buffer holding their JSON text, and where each one lies in it.
///
/// Events travel in batches so that nothing is allocated per event; a sink that writes NDJSON
/// copies each range and a newline into its output.
public struct EventBatch: Sendable {
    /// The JSON text the events are cut from (it may hold separators between them).
    public let bytes: [UInt8]
    /// Where each event's JSON object lies in ``bytes``.
    public let ranges: [Range<Int>]

    /// Where each event's value of one field lies, when the decoder noted it while it checked the
    /// events (``ReadsField``): ``FieldTexts`` reads the value from there.
    let fieldIndex: FieldIndex?

    public init(bytes: [UInt8], ranges: [Range<Int>]) {
        self.init(bytes: bytes, ranges: ranges, fieldIndex: nil)
    }

    package init(bytes: [UInt8], ranges: [Range<Int>], fieldIndex: FieldIndex?) {
        self.bytes = bytes
        self.ranges = ranges
        self.fieldIndex = fieldIndex
    }

    public var count: Int { ranges.count }
    public var isEmpty: Bool { ranges.isEmpty }

    public subscript(index: Int) -> Event { Event(batch: self, index: index) }

    /// Every event, in order.
    public var events: [Event] { (0..<count).map { Event(batch: self, index: $0) } }

    /// Calls `body` with each event's JSON bytes, valid only during the call.
    public func forEachEvent(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            for range in ranges { try body(UnsafeRawBufferPointer(rebasing: all[range])) }
        }
    }

    /// The total size of the events' JSON text.
    public var jsonByteCount: Int { ranges.reduce(0) { $0 + $1.count } }
}

/// One export event: a flat JSON object, with lazy access to its fields.
public struct Event: Sendable {
    public let batch: EventBatch
    public let index: Int

    /// The event's JSON object, as it appeared in the bundle.
    public var json: String { String(decoding: batch.bytes[batch.ranges[index]], as: UTF8.self) }

    public func withJSONBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try batch.bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[batch.ranges[index]])) }
    }

    /// A top-level field, parsing only as far as that field: `event.field("EventType")?.text`.
    public func field(_ name: String) -> JSONField? {
        withJSONBytes { FieldLookup.find(name, in: $0) }
    }
}

/// One field's value in each event of a batch, as the scanner noted it.
package struct FieldIndex: Sendable {
    /// The top-level key.
    package let field: String
    /// One per event, in order.
    package let values: [JSONArrayScanner.FieldValue]

    package init(field: String, values: [JSONArrayScanner.FieldValue]) {
        self.field = field
        self.values = values
    }
}
