import Foundation
import FSExportCore

/// Where each field name goes, remembered by its raw bytes (escapes as written): an event's keys
/// are found with a hash and a compare, no String and no allocation once the key has been seen.
/// Open addressing over one buffer of keys; bounded: past 4,096 keys it starts over.
struct KeyTable {
    private struct Entry {
        var hash: UInt64
        var start: Int
        var count: Int
        var destination: TableShape.Destination
    }

    private var slots = [Int32](repeating: -1, count: 8192)
    private var entries: [Entry] = []
    private var keys: [UInt8] = []

    mutating func destination(of raw: UnsafeBufferPointer<UInt8>, in shape: TableShape, evolve: Bool) -> TableShape.Destination {
        let hash = Self.hash(raw)
        if let found = find(raw, hash: hash) { return entries[found].destination }
        let destination = shape.destination(of: FieldLookup.unescape(raw), evolve: evolve)
        insert(raw, hash: hash, destination)
        return destination
    }

    /// Records where a key goes now (a column just added for it).
    mutating func remember(_ raw: UnsafeBufferPointer<UInt8>, as destination: TableShape.Destination) {
        let hash = Self.hash(raw)
        if let found = find(raw, hash: hash) { entries[found].destination = destination } else { insert(raw, hash: hash, destination) }
    }

    private func find(_ raw: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[position])
            if index < 0 { return nil }
            let entry = entries[index]
            if entry.hash == hash, entry.count == raw.count,
                entry.count == 0 || keys.withUnsafeBufferPointer({ memcmp($0.baseAddress! + entry.start, raw.baseAddress!, raw.count) == 0 })
            {
                return index
            }
            position = (position + 1) & mask
        }
    }

    private mutating func insert(_ raw: UnsafeBufferPointer<UInt8>, hash: UInt64, _ destination: TableShape.Destination) {
        if entries.count >= 4096 {
            for index in slots.indices { slots[index] = -1 }
            entries.removeAll(keepingCapacity: true)
            keys.removeAll(keepingCapacity: true)
        }
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while slots[position] >= 0 { position = (position + 1) & mask }
        slots[position] = Int32(entries.count)
        entries.append(Entry(hash: hash, start: keys.count, count: raw.count, destination: destination))
        keys.append(contentsOf: raw)
    }

    private static func hash(_ raw: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(raw.count)
        for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash ^ (hash >> 29)
    }
}
