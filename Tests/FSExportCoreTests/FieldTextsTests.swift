import Foundation
@testable import FSExportCore
import Testing

@Suite("Reading one field from many events")
struct FieldTextsTests {
    static func batch(_ objects: [String]) -> EventBatch {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for object in objects {
            ranges.append(bytes.count..<(bytes.count + object.utf8.count))
            bytes += Array(object.utf8)
        }
        return EventBatch(bytes: bytes, ranges: ranges)
    }

    @Test("The same texts as Event.field, for escapes, numbers, duplicates and missing fields, also past the capacity")
    func sameAsField() {
        let objects = [
            #"{"EventType":"click","x":1}"#, #"{"EventType":"cl\u0069ck"}"#, #"{"a":{"EventType":"nested"},"EventType":"load"}"#,
            #"{"EventType":12.50}"#, #"{"EventType":"first","EventType":"last"}"#, #"{"Other":"x"}"#, #"{"EventType":null}"#,
            #"{"EventType":"\"quoted\\"}"#, #"{"EventType":[1,2]}"#, #"{"EventType":"click"}"#,
        ]
        let batch = Self.batch(objects)
        for capacity in [1, 2, 4096] {
            var texts = FieldTexts(field: "EventType", capacity: capacity)
            for round in 0..<3 {
                for index in 0..<batch.count {
                    #expect(texts.text(of: batch[index]) == batch[index].field("EventType")?.text, "\(objects[index]), round \(round), capacity \(capacity)")
                }
            }
        }
    }

    @Test("Escapes in keys and values, and strings ending in backslashes, read as JSON means them")
    func escapes() {
        let cases: [(String, String?)] = [
            (#"{"Event\u0054ype":"spelled with an escape"}"#, "spelled with an escape"),
            (#"{"EventType":"a\\\"b"}"#, #"a\"b"#),
            (#"{"k":"\\\\","EventType":"after two backslashes"}"#, "after two backslashes"),
            (#"{"k":"\\\"","EventType":"after an escaped quote"}"#, "after an escaped quote"),
            (#"{"EventTyp":"close","EventTypeX":"closer"}"#, nil),
        ]
        var texts = FieldTexts(field: "EventType")
        let batch = Self.batch(cases.map(\.0))
        for (index, (object, expected)) in cases.enumerated() {
            #expect(texts.text(of: batch[index]) == expected, "\(object)")
        }
    }
}

@Suite("The field a split reads, noted while the events are checked")
struct NotedFieldTests {
    /// Every shape a value can take, keys that almost match, duplicates, nesting, escapes, NDJSON.
    static let objects = [
        #"{"EventType":"click","x":1}"#, #"{"x":1,"EventType":12.50}"#, #"{"EventType":-3e+2}"#, #"{"EventType":true}"#,
        #"{"EventType":null}"#, #"{"EventType":[1,{"EventType":"inner"}]}"#, #"{"EventType":{"a":"}"}}"#,
        #"{"a":{"EventType":"nested"},"EventType":"load"}"#, #"{"a":{"EventType":"nested only"}}"#,
        #"{"EventType":"first","EventType":"last"}"#, #"{"EventType":"kept","Other":"x"}"#, #"{"Other":"x"}"#, "{}",
        #"{"Event\u0054ype":"spelled with an escape"}"#, #"{"EventType":"before","Event\u0054ype":"escaped last"}"#,
        #"{"EventType":"a\\\"b"}"#, #"{"k":"\\\\","EventType":"after two backslashes"}"#, #"{"EventTyp":"close","EventTypeX":"closer"}"#,
        #"{ "EventType" : "spaced" , "n" : 1 }"#, #"{"EventType":"日本語 \ud83c\udf89"}"#, #"{"EventType":0}"#, #"{"EventType":""}"#,
    ]

    static func decode(_ document: String, ndjson: Bool, batchSize: Int) async throws -> [EventBatch] {
        let path = try temporaryFile(document)
        defer { unlink(path) }
        let decoder =
            ndjson
            ? try BundleDecoder.ndjson(path: path, batchSize: batchSize, indexing: "EventType")
            : BundleDecoder(path: path, encoding: .json, batchSize: batchSize, indexing: "EventType")
        return try await decoder.batches()
    }

    @Test("The noted value is the one a lookup finds, whatever the chunking, in arrays and NDJSON", arguments: [1, 3, 16, 1 << 20], [false, true])
    func sameAsLookup(batchSize: Int, ndjson: Bool) async throws {
        let document = ndjson ? Self.objects.joined(separator: "\n") + "\n" : "[" + Self.objects.joined(separator: ",\n") + "]"
        let batches = try await Self.decode(document, ndjson: ndjson, batchSize: batchSize)
        #expect(batches.reduce(0) { $0 + $1.count } == Self.objects.count)
        var index = 0
        for batch in batches {
            let noted = try #require(batch.fieldIndex, "the decoder noted the field")
            #expect(noted.field == "EventType" && noted.values.count == batch.count)
            for event in batch.events {
                let expected = event.withJSONBytes { FieldLookup.rawValue("EventType", Array("EventType".utf8), in: $0).map { Array($0) } }
                switch noted.values[event.index] {
                case .at(let range): #expect(Array(batch.bytes[range]) == expected, "\(Self.objects[index])")
                case .absent: #expect(expected == nil, "\(Self.objects[index])")
                case .unknown: #expect(Self.objects[index].contains(#"\u0054"#), "only an escaped key leaves it to a lookup: \(Self.objects[index])")
                }
                index += 1
            }
        }
    }

    @Test("FieldTexts reads the same texts from noted values as from the events themselves")
    func textsAgree() async throws {
        let batches = try await Self.decode("[" + Self.objects.joined(separator: ",") + "]", ndjson: false, batchSize: 5)
        var noted = FieldTexts(field: "EventType")
        var other = FieldTexts(field: "Other")  // not the noted field: looked up
        for batch in batches {
            for event in batch.events {
                #expect(noted.text(of: event) == event.field("EventType")?.text, "\(event.json)")
                #expect(other.text(of: event) == event.field("Other")?.text, "\(event.json)")
            }
        }
    }

    @Test("Without a field, nothing is noted")
    func nothingByDefault() async throws {
        let path = try temporaryFile("[" + Self.objects.joined(separator: ",") + "]")
        defer { unlink(path) }
        let batches = try await BundleDecoder(path: path, encoding: .json).batches()
        #expect(!batches.isEmpty)
        for batch in batches { #expect(batch.fieldIndex == nil) }
    }
}
