import Foundation
import FSExportTestSupport
import Testing

/// What users trust the command line with, tried with hostile inputs: what it says, where, and the
/// exit code, with nothing lost and no secret shown.
@Suite("Trust at the command line", .serialized)
struct TrustTests {
    @Test("A directory source's missing folder, or a file in its place, is an error naming it, for run, events and validate; an empty folder is fine")
    func missingArchive() async throws {
        let work = try TemporaryFolder("archive")
        try work.write("not-a-folder", "x")
        try FileManager.default.createDirectory(atPath: "\(work.path)/empty", withIntermediateDirectories: true)
        for (path, problem) in [("missing", "does not exist"), ("not-a-folder", "is a file, not a folder")] {
            let file = try work.write("\(path).yml", "source: {type: directory, path: \(path), settle: 0s}\nstages:\n  out: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
            let run = try await FSExportBinary.run(["run", file])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("\(work.path)/\(path)") && run.stderr.contains(problem), "\(run.stderr)")
            let events = try await FSExportBinary.run(["events", "--from", file])
            #expect(events.status == 1 && events.stderr.contains(problem), "\(events.stderr)")
            let validate = try await FSExportBinary.run(["validate", file])
            #expect(validate.status == 78 && validate.stderr.contains("\(path).yml:1:") && validate.stderr.contains(problem), "\(validate.stderr)")
        }
        let empty = try work.write("empty.yml", "source: {type: directory, path: empty, settle: 0s}\nstages:\n  out: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        let run = try await FSExportBinary.run(["run", empty])
        #expect(run.status == 0 && run.stderr.contains("0 bundles"), "\(run.stderr)")
    }
}
