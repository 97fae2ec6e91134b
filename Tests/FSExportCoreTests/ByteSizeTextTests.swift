import FSExportCore
import Testing

@Suite("Sizes in words")
struct ByteSizeTextTests {
    @Test("A changing figure keeps one decimal; a limit reads as the user wrote it")
    func formats() {
        #expect(ByteSizeText.format(512) == "512 B")
        #expect(ByteSizeText.format(1 << 20) == "1.0 MiB")
        #expect(ByteSizeText.format(488_755) == "477.3 KiB")
        #expect(ByteSizeText.limit(4096) == "4 KiB")
        #expect(ByteSizeText.limit(2 << 20) == "2 MiB")
        #expect(ByteSizeText.limit(1536) == "1.5 KiB")
        #expect(ByteSizeText.limit(100) == "100 B")
    }

    @Test("Sizes parse in the units pipeline files use, and nonsense is refused with the forms that work")
    func parses() throws {
        #expect(try ByteSizeText.parse("64KiB") == 65536)
        #expect(try ByteSizeText.parse(" 8 MB ") == 8 << 20)
        #expect(try ByteSizeText.parse("1g") == 1 << 30)
        for bad in ["", "0", "-1", "1.5MiB", "2TiB", "99999999999999999999", "1 parsec", "1KiB2"] {
            #expect(throws: ByteSizeText.ParseError.self, "\(bad)") { try ByteSizeText.parse(bad) }
        }
        let error = #expect(throws: ByteSizeText.ParseError.self) { try ByteSizeText.parse("lots") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("cannot read 'lots' as a size: use bytes (65536) or a unit, such as 64KiB, 8MiB or 1GiB"))
    }
}
