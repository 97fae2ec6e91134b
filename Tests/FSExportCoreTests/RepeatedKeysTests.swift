import Foundation
import FSExportCore
import Testing

@testable import FSExportCore

/// One rule for a key written twice in what fsexport acts on: refused, whichever decoder reads it.
@Suite("Repeated keys")
struct RepeatedKeysTests {
    @Test("A key repeated in one object is found, however it is escaped; the same key in different objects is not a repeat")
    func found() {
        let cases: [(String, String?)] = [
            (#"{"state":"FAILED","state":"COMPLETED"}"#, "state"),
            (#"{"state":"FAILED","st\u0061te":"COMPLETED"}"#, "state"),
            (#"{"a":{"b":1,"c":{"b":2}},"b":3}"#, nil),
            (#"{"exports":[],"exports":[{"Id":1}]}"#, "exports"),
            (#"[{"id":1},{"id":2}]"#, nil),
            (#"{"x":"\"a\":1,\"a\":2"}"#, nil),
            (#"{"😀":1,"\ud83d\ude00":2}"#, "😀"),
            (#"{"a":[{"a":1}],"a":2}"#, "a"),
            (#"{"a":1,"b":{"a":2,"a":3}}"#, "a"),
            (#"{"unterminated"#, nil),
            ("", nil),
        ]
        for (json, expected) in cases {
            #expect(RepeatedKeys.first(in: Data(json.utf8)) == expected, "\(json)")
        }
    }

    @Test("A state file with a key twice is refused, naming the key")
    func stateFile() {
        let data = Data(#"{"bundle_id":1,"stop":100,"delivered_at_stop":[1],"stop":200}"#.utf8)
        #expect(throws: StateFileError.self) { try CheckpointStore.checkpoint(from: data, path: "state.json") }
        #expect((try? CheckpointStore.checkpoint(from: Data(#"{"bundle_id":1,"stop":100,"delivered_at_stop":[1]}"#.utf8), path: "s")) != nil)
    }

    @Test("Many keys in one object cost time in proportion to them")
    func manyKeys() {
        let json = "{" + (0..<100_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + #","k5":0}"#
        let started = ContinuousClock.now
        #expect(RepeatedKeys.first(in: Data(json.utf8)) == "k5")
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}

/// What a damaged state file is told as.
@Suite("State file messages")
struct StateFileMessageTests {
    @Test("A state file that decodes wrong names the key in words, not Swift's coding keys")
    func stateFileWords() {
        let cases = [
            (#"{"bundle_id":"x","stop":100,"delivered_at_stop":[1]}"#, #""bundle_id" is not a whole number"#),
            (#"{"bundle_id":1,"delivered_at_stop":[1]}"#, #"the key "stop" is missing"#),
            (#"{"bundle_id":1,"stop":100,"delivered_at_stop":[1,"2"]}"#, #""delivered_at_stop.[1]" is not a whole number"#),
            ("not json", "it is not JSON"),
        ]
        for (json, words) in cases {
            do {
                _ = try CheckpointStore.checkpoint(from: Data(json.utf8), path: "state.json")
                Issue.record("\(json) was read")
            } catch {
                #expect(error.description.contains(words) && !error.description.contains("CodingKeys"), "\(error)")
            }
        }
    }
}
