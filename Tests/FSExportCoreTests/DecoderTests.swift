import Foundation
import Synchronization
import FSExportTestSupport
import Testing

@testable import FSExportCore

@Suite("Streaming decode")
struct DecoderTests {
    static let document = """
        [
          {"EventType":"click","EventTargetText":"Say \\"hi\\" \\\\ \\u00e9 \\ud83c\\udf89","n":-1.5e3,"ok":true,"none":null,"nested":{"a":[1,{"b":"}"}]}},
          {"EventType":"navigate","PageUrl":"https://example.com/?q=[1]","UserId":5066549580791876},
          {}, {"EventType":"日本語"}
        ]

        """

    static func events(_ text: String, gzip: Bool, batchSize: Int) async throws -> [String] {
        let path = try temporaryFile(text, gzip: gzip)
        defer { unlink(path) }
        return try await BundleDecoder(path: path, encoding: gzip ? .gzip : .json, bundleID: 7, batchSize: batchSize).eventTexts()
    }

    @Test("Events come out whole and in order, whatever the batch size and encoding", arguments: [1, 7, 64, 1 << 20], [false, true])
    func splitsEvents(batchSize: Int, gzip: Bool) async throws {
        let events = try await Self.events(Self.document, gzip: gzip, batchSize: batchSize)
        try #require(events.count == 4)
        #expect(events[0].hasPrefix(#"{"EventType":"click""#) && events[0].hasSuffix(#""b":"}"}]}}"#))
        #expect(events[2] == "{}")
        #expect(events[3] == #"{"EventType":"日本語"}"#)
        // Every event is JSON that Foundation accepts.
        for event in events { _ = try JSONSerialization.jsonObject(with: Data(event.utf8)) }
    }

    @Test(
        "A number after a key is judged the same read whole or a byte at a time",
        arguments: [
            "0", "-0", "7", "-12", "5066549580791876", "1.5", "-0.25", "1e5", "1E+5", "2.5e-3", "123456789012345678901234567890",
            "-", "01", "-01", "1.", ".5", "1e", "1e+", "+1", "1.2.3", "12a", "1-2", "0x1", "1ee2", "--1", "-a", "1.e5",
            // Runs of digits longer than the 32 read in a step, and ended just past one.
            String(repeating: "9", count: 40), "1." + String(repeating: "0", count: 33) + "e-" + String(repeating: "7", count: 64),
            "1" + String(repeating: "2", count: 31) + "x", "-" + String(repeating: "3", count: 64) + "e", String(repeating: "4", count: 32) + ".",
        ])
    func numbersAfterKeys(_ number: String) async throws {
        let valid = (try? JSONSerialization.jsonObject(with: Data("[\(number)]".utf8))) != nil
        // Ended by a comma before a string, by a comma before white space, by a brace, and by a space.
        let text = #"[{"a":\#(number),"b":"x"},{"a":\#(number), "c":\#(number)},{"a":\#(number)},{"a":\#(number) }]"#
        for batchSize in [1, 5, 1 << 20] {
            do {
                let events = try await Self.events(text, gzip: false, batchSize: batchSize)
                #expect(valid, "accepted \(number) in batches of \(batchSize)")
                #expect(events == [#"{"a":\#(number),"b":"x"}"#, #"{"a":\#(number), "c":\#(number)}"#, #"{"a":\#(number)}"#, #"{"a":\#(number) }"#])
            } catch let error as BundleFormatError {
                #expect(!valid, "refused \(number) in batches of \(batchSize): \(error)")
                #expect(error.offset == 6 && error.message.contains("invalid value '\(number)"), "\(error)")
            }
        }
    }

    @Test("An empty array is a bundle with no events")
    func emptyArray() async throws {
        #expect(try await Self.events(" [ ] \n", gzip: true, batchSize: 4).isEmpty)
    }

    @Test(
        "Malformed documents fail with the bundle id and the byte offset",
        arguments: [
            ("", 0, "empty"),
            ("{}", 0, "expected '['"),
            ("[{\"a\":1}", 8, "ends before its closing ']'"),
            ("[{\"a\":1}] x", 10, "after the closing ']'"),
            ("[{\"a\":\"\\x\"}]", 8, "invalid escape"),
            ("[{\"a\":\"\\u12g4\"}]", 11, "hex digit"),
            ("[{\"a\":\"tab\there\"}]", 10, "control character"),
            ("[1,2]", 1, "expected an event object"),
            ("[{\"a\":}]", 6, "unexpected '}'"),
            ("[{\"a\" 1}]", 6, "unexpected character"),
            ("[{\"a\":tru}]", 6, "invalid value 'tru'"),
            ("[{\"a\":01}]", 6, "invalid value '01'"),
            ("[{},]", 4, "expected an event object"),
            ("[{\"a\":[1,]}]", 9, "unexpected ']'"),
            ("[{\"a\":1]", 7, "unexpected ']'"),
            ("[{\"a\":\"open", 11, "ends before"),
        ])
    func malformed(_ text: String, offset: Int64, message: String) async throws {
        do {
            _ = try await Self.events(text, gzip: false, batchSize: 3)
            Issue.record("accepted \(text)")
        } catch let error as BundleFormatError {
            #expect(error.bundleID == 7)
            #expect(error.offset == offset, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect("\(error)".contains("bundle 7"))
        }
    }

    @Test("Truncated gzip is a data error, not a short bundle")
    func truncatedGzip() async throws {
        let path = try temporaryFile(Self.document, gzip: true)
        defer { unlink(path) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: path))
        await #expect(throws: (any Error).self) { try await BundleDecoder(path: path, encoding: .gzip).decode { _ in } }
    }

    /// A gzip bundle cut in half, as a download in progress leaves it: its first events can be
    /// decoded, and a decoder following it waits for the rest.
    static func halfArrivedBundle() throws -> String {
        let events = (0..<2_000).map { #"{"EventType":"click","n":\#($0)}"# }
        let path = try temporaryFile("[" + events.joined(separator: ",") + "]", gzip: true)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        return path
    }

    struct Stop: Error {}

    @Test("An error in the caller's work ends the decode, its inflating task included, even one waiting for the file to grow", .timeLimit(.minutes(1)))
    func callerErrorEndsDecode() async throws {
        let path = try Self.halfArrivedBundle()
        defer { unlink(path) }
        let decoder = BundleDecoder(following: path, arriving: { true }, batchSize: 64)
        var batches = 0
        await #expect(throws: Stop.self) {
            try await decoder.decode { _ in
                batches += 1
                if batches == 3 { throw Stop() }
            }
        }
        #expect(batches == 3)
    }

    @Test("Cancelling the caller ends a decode that waits for the file to grow", .timeLimit(.minutes(1)))
    func cancellationEndsDecode() async throws {
        let path = try Self.halfArrivedBundle()
        defer { unlink(path) }
        let decoder = BundleDecoder(following: path, arriving: { true }, batchSize: 64)
        let events = Mutex(0)
        let decoding = Task { try await decoder.decode { batch in events.withLock { $0 += batch.count } } }
        // Every event that arrived is handed out; then the decode waits for more.
        try #require(try await waitUntil(within: .seconds(30)) { events.withLock { $0 } > 0 })
        decoding.cancel()
        let result = await decoding.result
        #expect(throws: (any Error).self) { try result.get() }
        #expect(events.withLock { $0 } < 2_000, "the missing half was not made up")
    }

    @Test("NDJSON files decode line by line, gzip or not")
    func ndjson() async throws {
        for gzip in [false, true] {
            let path = try temporaryFile("{\"a\":1}\n{\"b\":[2]}\n\n{\"c\":\"x\"}\n", gzip: gzip)
            defer { unlink(path) }
            let events = try await BundleDecoder.ndjson(path: path, batchSize: 5).eventTexts()
            #expect(events == [#"{"a":1}"#, #"{"b":[2]}"#, #"{"c":"x"}"#])
        }
        let bad = try temporaryFile("{\"a\":1}\n[2]\n")
        defer { unlink(bad) }
        await #expect(throws: BundleFormatError.self) { try await BundleDecoder.ndjson(path: bad).decode { _ in } }
    }

    @Test("Field lookup parses only what it needs and unescapes strings")
    func fields() async throws {
        let events = try await Self.events(Self.document, gzip: false, batchSize: 1 << 20)
        let path = try temporaryFile("[" + events.joined(separator: ",") + "]")
        defer { unlink(path) }
        let batch = try #require(try await BundleDecoder(path: path, encoding: .json).batches().first)
        #expect(batch[0].field("EventType") == .string("click"))
        #expect(batch[0].field("EventTargetText") == .string("Say \"hi\" \\ é 🎉"))
        #expect(batch[0].field("n") == .number("-1.5e3"))
        #expect(batch[0].field("ok") == .bool(true))
        #expect(batch[0].field("none") == .null)
        #expect(batch[0].field("nested") == .json(#"{"a":[1,{"b":"}"}]}"#))
        #expect(batch[0].field("a") == nil)  // nested keys are not top-level
        #expect(batch[1].field("UserId")?.text == "5066549580791876")
        #expect(batch[2].field("EventType") == nil)
        #expect(batch[3].field("EventType")?.text == "日本語")
    }
}

@Suite("Path templates")
struct PathTemplateTests {
    let values = PathTemplate.Values(id: 170_406_720_048, start: 1_704_067_200, stop: 1_704_153_600, name: "click/p.ndjson", part: 3, value: "a/b c")

    @Test("Placeholders and strftime render")
    func render() throws {
        let template = try PathTemplate("raw/{start:%Y/%m/%d}/{id}-{stop:%H%M%S}-{part}-{value}-{{x}}.{name}", allowed: Set(PathTemplate.Placeholder.allCases))
        // "a/b c" is not a safe name as it is: cleaned, then told apart from other values by its hash.
        let rendered = template.render(values)
        #expect(rendered.hasPrefix("raw/2024/01/01/170406720048-000000-0003-a_b_c~"))
        #expect(rendered.hasSuffix("-{x}.click/p.ndjson"))
        #expect(rendered == "raw/2024/01/01/170406720048-000000-0003-\(PathTemplate.splitValueName("a/b c"))-{x}.click/p.ndjson")
        #expect(try PathTemplate("{start:%F %T %j}", allowed: [.start]).render(values) == "2024-01-01 00:00:00 001")
    }

    @Test("Unknown placeholders and formats are refused with the offset")
    func errors() {
        #expect(throws: PathTemplate.ParseError.self) { try PathTemplate("{id}/{name}", allowed: [.id]) }
        do {
            _ = try PathTemplate("x/{nmae}", allowed: [.id, .name])
        } catch {
            #expect(error.offset == 2)
            #expect(error.message.contains("{id}, {name}"))
        }
        #expect(throws: PathTemplate.ParseError.self) { try PathTemplate("{start:%Q}", allowed: [.start]) }
        #expect(throws: PathTemplate.ParseError.self) { try PathTemplate("{id", allowed: [.id]) }
    }

    @Test("Values become safe file names")
    func safeNames() {
        #expect(PathTemplate.safeFileName("custom_error") == "custom_error")
        #expect(PathTemplate.safeFileName("../etc/passwd") == ".._etc_passwd")
        #expect(PathTemplate.safeFileName("..") == "_..")
        #expect(PathTemplate.safeFileName("") == "_")
        #expect(PathTemplate.safeFileName("Café 日本") == "Café_日本")
    }
}
