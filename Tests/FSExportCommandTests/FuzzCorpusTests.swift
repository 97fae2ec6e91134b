import Foundation
import FSExportTestSupport
import Testing

/// Every fuzz target, built without the fuzzer, replays its corpus (the seeds in Fuzz/corpus, and
/// any input a campaign once failed on, kept there) and checks its properties on each input.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Every target in Fuzz/ (each folder named fuzz-…), as Package.swift and Fuzz/run.sh find them.
    static let targets = ((try? FileManager.default.contentsOfDirectory(atPath: "\(repository)/Fuzz")) ?? []).filter { $0.hasPrefix("fuzz-") }.sorted()

    @Test("Every fuzz target has a corpus, and the package builds every one")
    func everyTarget() throws {
        #expect(Self.targets.count >= 10, "\(Self.targets)")
        let manifest = try String(contentsOfFile: "\(Self.repository)/Package.swift", encoding: .utf8)
        for target in Self.targets {
            #expect(FileManager.default.fileExists(atPath: "\(Self.repository)/Fuzz/corpus/\(target)"), "\(target) has no corpus")
            #expect(manifest.contains("(\"\(target)\","), "\(target) is not in Package.swift")
        }
    }

    @Test("Each fuzz target's properties hold on its corpus", arguments: targets)
    func replay(_ target: String) async throws {
        var inputs = ["\(Self.repository)/Fuzz/corpus/\(target)"]
        if target == "fuzz-pipeline" { inputs.append("\(Self.repository)/examples") }
        let binary = FSExportBinary.url.deletingLastPathComponent().appendingPathComponent(target).path
        let result = try await FSExportBinary.run(inputs, executable: binary)
        #expect(result.status == 0, "\(result.stderr)")
        let count = Int(result.stdout.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(count >= 3, "\(result.stdout)")
    }

    @Test("Built without ISA-L (the ISAL trait off), the inflater falls back to zlib and refuses the same damaged streams")
    func withoutISAL() async throws {
        // A scratch folder of its own: this build does not wait on the one `swift test` holds.
        let build = try await FSExportBinary.run(
            ["swift", "build", "--package-path", Self.repository, "--scratch-path", "\(Self.repository)/.build-without-isal", "--disable-default-traits", "--product", "fuzz-inflate"],
            executable: "/usr/bin/env")
        #expect(build.status == 0, "\(build.stdout.suffix(2000))\(build.stderr.suffix(2000))")
        let replay = try await FSExportBinary.run(["\(Self.repository)/Fuzz/corpus/fuzz-inflate"], executable: "\(Self.repository)/.build-without-isal/debug/fuzz-inflate")
        #expect(replay.status == 0 && replay.stdout.contains("all properties held"), "\(replay.stdout)\(replay.stderr)")
        let symbols = try await Programs.shell("nm -D '\(Self.repository)/.build-without-isal/debug/fuzz-inflate' | grep -c isal_inflate || true")
        #expect(symbols.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "ISA-L linked in a build without it")
    }
}
