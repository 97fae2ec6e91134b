import FSExportCore
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
