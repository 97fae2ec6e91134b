import Foundation
import FSExportTestSupport
import Testing

/// Every fuzz target, built without the fuzzer, replays its corpus (the seeds in Fuzz/corpus, and
/// any input a campaign once failed on, kept there) and checks its properties on each input.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Every target, as Fuzz/run.sh finds them: a corpus folder each in Fuzz/corpus.
    static let targets = ((try? FileManager.default.contentsOfDirectory(atPath: "\(repository)/Fuzz/corpus")) ?? []).filter { $0.hasPrefix("fuzz-") }.sorted()

    /// The program and arguments that replay `target`'s inputs: fuzz-inflate is a program of its
    /// own; every other target is one of fuzz-parsers'.
    static func command(_ target: String) -> (program: String, arguments: [String]) {
        let folder = FSExportBinary.url.deletingLastPathComponent()
        return target == "fuzz-inflate"
            ? (folder.appendingPathComponent(target).path, []) : (folder.appendingPathComponent("fuzz-parsers").path, [target])
    }

    @Test("Every corpus has its target, and every target of fuzz-parsers its corpus")
    func everyTarget() async throws {
        #expect(Self.targets.count >= 11, "\(Self.targets)")
        let listed = try await FSExportBinary.run(["--list"], executable: Self.command("fuzz-parsers").program)
        #expect(listed.status == 0, "\(listed.stderr)")
        let parsers: [String] = listed.stdout.split(separator: "\n").map(String.init)
        let corpora: [String] = Self.targets.filter { $0 != "fuzz-inflate" }
        #expect(parsers == corpora)
        let unknown = try await FSExportBinary.run(["fuzz-nothing"], executable: Self.command("fuzz-parsers").program)
        #expect(unknown.status == 2 && unknown.stderr.contains("fuzz-json-scanner"), "\(unknown.stderr)")
    }

    @Test("Each fuzz target's properties hold on its corpus", arguments: targets)
    func replay(_ target: String) async throws {
        var inputs = ["\(Self.repository)/Fuzz/corpus/\(target)"]
        if target == "fuzz-pipeline" { inputs.append("\(Self.repository)/examples") }
        let (program, arguments) = Self.command(target)
        let result = try await FSExportBinary.run(arguments + inputs, executable: program)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(target): "), "\(result.stdout)")
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
