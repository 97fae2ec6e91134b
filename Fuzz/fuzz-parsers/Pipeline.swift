import FSExportPipeline
import FuzzDriver

/// Pipeline files: any text loads, or fails with diagnostics that point inside the file; in
/// bounded time and memory whatever its aliases; validating touches nothing on disk.
func fuzzPipeline(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    // YAML breaks lines at CR, LF, CRLF, NEL, LS and PS: every one is a newline Character.
    let lines = text.count { $0.isNewline } + 1
    do {
        _ = try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/nonexistent-fsexport-fuzz", environment: ["SET": "x"], mode: .validate)
    } catch let error as PipelineFileError {
        FuzzDriver.require(!error.diagnostics.isEmpty, "an error without a diagnostic")
        for diagnostic in error.diagnostics {
            FuzzDriver.require(diagnostic.line >= 1 && diagnostic.line <= lines + 1 && diagnostic.column >= 1, "\(diagnostic) outside the file (\(lines) lines)")
        }
    } catch {
        fatalError("not a pipeline file error: \(error)")
    }
}
