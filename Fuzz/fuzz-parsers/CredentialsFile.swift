import FSExportS3
import FuzzDriver

/// The AWS shared credentials file: any text parses or fails at a line that exists, never traps;
/// profile names and values come back trimmed and on one line.
func fuzzCredentialsFile(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    do throws(SharedCredentialsFile.ParseError) {
        let file = try SharedCredentialsFile(parsing: text)
        for (name, keys) in file.profiles {
            FuzzDriver.require(!name.isEmpty && !name.contains("\n"), "profile name '\(name)'")
            for (key, value) in keys {
                FuzzDriver.require(!key.isEmpty && !key.contains("\n") && !value.contains("\n") && !value.contains("\r\n") && !key.contains("="), "setting '\(key)' = '\(value)'")
                FuzzDriver.require(value.first != " " && value.last != " ", "value not trimmed: '\(value)'")
            }
        }
    } catch {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).count
        FuzzDriver.require((1...max(1, lines)).contains(error.line), "error at line \(error.line) of \(lines)")
    }
}
