import FSExportCore
import FuzzDriver

/// Path templates and split names: any text parses or fails with an offset inside it; a
/// template that passes its check renders, for any bundle, a name that stays below its folder;
/// any field value gets a safe name of its own, the same every time.
func fuzzTemplates(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    do {
        let template = try PathTemplate(text, allowed: Set(PathTemplate.Placeholder.allCases))
        var seed = UInt64(input.count)
        for byte in input.prefix(16) { seed = seed &* 31 &+ UInt64(byte) }
        let time = Int64(seed % 253_402_300_800)
        let values = PathTemplate.Values(id: Int64(seed % 999_999_999_999) + 1, start: time, stop: time, name: "n", part: Int(seed % 100_000), value: text)
        let rendered = template.render(values)
        if (try? template.checkRelative(option: "path")) != nil {
            FuzzDriver.require((try? Artifact.validate(name: rendered)) != nil, "checked template \(text) renders \(rendered)")
        }
    } catch {  // the parse is the only call above that throws, and only a ParseError
        FuzzDriver.require(error.offset >= 0 && error.offset <= text.count, "offset \(error.offset) outside \(text.count) characters")
    }
    let name = PathTemplate.splitValueName(text)
    FuzzDriver.require(name == PathTemplate.splitValueName(text), "unstable name for \(text)")
    FuzzDriver.require((try? Artifact.validate(name: name)) != nil && !name.contains("/"), "unsafe name \(name)")
    FuzzDriver.require(name.utf8.count <= 120, "long name \(name)")
    if name == text { FuzzDriver.require(PathTemplate.safeFileName(text) == text, "kept an unsafe value") } else { FuzzDriver.require(name.contains("~"), "cleaned without a hash") }
}
