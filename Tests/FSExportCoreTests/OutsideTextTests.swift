import FSExportCore
import Testing

/// Text from outside is shown redacted, escaped and bounded.
@Suite("Outside text")
struct OutsideTextTests {
    @Test("Every form a secret can be echoed in is redacted: as written, percent-encoded in either case, JSON-escaped")
    func redaction() {
        let secret = "na1.TEST/secret+Key=="
        Secrets.remember(secret)
        for echoed in [secret, "na1.TEST%2Fsecret%2BKey%3D%3D", "na1.TEST%2fsecret%2bKey%3d%3d", #"na1.TEST\/secret+Key=="#] {
            let shown = OutsideText.shown("Authorization: Basic \(echoed) and again \(echoed)")
            #expect(!shown.contains("secret"), "\(echoed) → \(shown)")
            #expect(shown == "Authorization: Basic <redacted> and again <redacted>", "\(shown)")
        }
    }

    @Test("Control characters, DEL, C1 controls and bidi overrides are written as escapes; other text is left as it is")
    func escapes() {
        #expect(OutsideText.escapingControls("a\nb\r\tc\u{1B}[2J\u{7F}\u{85}\u{202E}d") == #"a\nb\r\tc\u001b[2J\u007f\u0085\u202ed"#)
        #expect(OutsideText.escapingControls("Café crème 😀 \"quoted\"") == "Café crème 😀 \"quoted\"")
    }

    @Test("Shown text is bounded, and a secret cut by the bound is redacted before the cut")
    func bounded() {
        let secret = "0123456789abcdef-bounded"
        Secrets.remember(secret)
        let shown = OutsideText.shown(String(repeating: "x", count: 295) + secret, limit: 300)
        #expect(shown.count == 301 && shown.hasSuffix("…"))
        #expect(!shown.contains("0123456789"))
        #expect(OutsideText.shown(bytes: [0x66, 0xFF, 0x0A, 0x67]) == "f\u{FFFD}\\ng")
    }

    @Test("Secrets that overlap are all hidden, every byte of them, whatever order they are found in")
    func overlapping() {
        #expect(Secrets.redacted("xxabcdefghiyy", hiding: ["abcdef", "defghi"]) == "xx<redacted>yy")
        #expect(Secrets.redacted("xxabcdefghiyy", hiding: ["defghi", "abcdef"]) == "xx<redacted>yy")
        #expect(Secrets.redacted("abcd then abcd", hiding: ["abcd"]) == "<redacted> then <redacted>")
        #expect(Secrets.redacted("Authorization: Basic naOptio.al", hiding: ["Basic naOp", "naOptio.al"]) == "Authorization: <redacted>")
        #expect(Secrets.redacted("short abc", hiding: ["abc"]) == "short abc")
        #expect(Secrets.redacted("key=caf%C3%A9%2Fx and caf%c3%a9%2fx", hiding: ["café/x"]) == "key=<redacted> and <redacted>")
    }
}
