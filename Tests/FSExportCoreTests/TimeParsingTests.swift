import FSExportCore
import Testing

@Suite("Times and durations")
struct TimeParsingTests {
    @Test(
        "Absolute times",
        arguments: [
            ("1563148800", Int64(1_563_148_800)),
            ("2019-07-15", 1_563_148_800),
            ("2019-07-15T00:00:00Z", 1_563_148_800),
            ("2019-07-15T02:00:00+02:00", 1_563_148_800),
            ("2019-07-14T19:00:00-05:00", 1_563_148_800),
            ("2019-07-15 00:00", 1_563_148_800),
            ("2019-07-15T00:00:00.900Z", 1_563_148_800),
            ("2000-02-29T12:00:00Z", 951_825_600),
            ("1970-01-01T00:00:00Z", 0),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
        ])
    func absolute(_ text: String, _ expected: Int64) throws {
        #expect(try Timestamp.parse(text, now: 0) == expected)
    }

    @Test("A log line's time: RFC 3339 UTC with milliseconds, cut rather than rounded into the next second")
    func logTimes() {
        #expect(FSExportLogHandler.timestamp(1_800_000_000.123) == "2027-01-15T08:00:00.123Z")
        #expect(FSExportLogHandler.timestamp(1_800_000_000.9999) == "2027-01-15T08:00:00.999Z")
        #expect(FSExportLogHandler.timestamp(0) == "1970-01-01T00:00:00.000Z")
        #expect(FSExportLogHandler.timestamp(-0.5) == "1969-12-31T23:59:59.500Z")
    }

    @Test("Relative times count back from now")
    func relative() throws {
        let now: Int64 = 1_700_000_000
        #expect(try Timestamp.parse("-24h", now: now) == now - 86_400)
        #expect(try Timestamp.parse("-7d", now: now) == now - 7 * 86_400)
        #expect(try Timestamp.parse("-90m", now: now) == now - 5400)
        #expect(try Timestamp.parse("now", now: now) == now)
    }

    @Test("Bad times say what is accepted", arguments: ["yesterday", "2019-13-01", "2019-07-15T25:00Z", "-5y", ""])
    func invalid(_ text: String) {
        #expect(throws: Timestamp.ParseError.self) { try Timestamp.parse(text, now: 0) }
    }

    @Test("Printing is UTC ISO 8601")
    func printing() {
        #expect(Timestamp.iso8601(1_563_148_800) == "2019-07-15T00:00:00Z")
        #expect(Timestamp.iso8601(951_825_600 + 3661) == "2000-02-29T13:01:01Z")
        #expect(Timestamp.iso8601(-1) == "1969-12-31T23:59:59Z")
    }

    @Test("Durations")
    func durations() throws {
        #expect(try DurationText.parse("90s") == .seconds(90))
        #expect(try DurationText.parse("1h30m") == .seconds(5400))
        #expect(try DurationText.parse("500ms") == .milliseconds(500))
        #expect(try DurationText.parse("2") == .seconds(2))
        #expect(throws: DurationText.ParseError.self) { try DurationText.parse("5 parsecs") }
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
    }
}
