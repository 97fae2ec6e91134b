@testable import FSExportCommand
import FSExportCore
import FSExportTestSupport
import Foundation
import Testing

/// The progress line on a terminal, read frame by frame from a pseudo-terminal (`script`): it
/// follows the bundle being delivered, not the next one downloading behind it; it says n of N
/// once the listing has ended, the run's bundles and events done, the percentage and the time
/// left; and the run ends with its summary line.
@Suite("Progress line")
struct ProgressLineTests {
    /// Everything drawn on the terminal, cut into frames at each carriage return.
    static func frames(of arguments: String, in folder: TemporaryFolder) async throws -> [String] {
        let command = "'\(FSExportBinary.url.path)' \(arguments)"
        let run = try await FSExportBinary.run(["-qec", command, "/dev/null"], directory: folder.path, executable: "/usr/bin/script")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        return run.stdout.replacingOccurrences(of: "\u{1B}[2K", with: "").split(separator: "\r").map { String($0) }
            .map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
    }

    @Test("A run on a terminal shows the bundle being delivered, n of N, events, percent and time left, then its summary")
    func frames() async throws {
        let folder = try TemporaryFolder("progress")
        _ = try folder.write("events.fsexport.yml", """
            source: {start: 2024-01-01, until: 2024-01-31}
            stages:
              lines: {type: files, inputs: [source], format: ndjson, path: "{id}.ndjson"}
            """)
        let frames = try await Self.frames(of: "run events.fsexport.yml --simulate", in: folder)
        let progress = frames.filter { $0.hasPrefix("bundle ") || $0.hasPrefix("listing") }
        #expect(progress.first == "listing bundles…", "\(frames.prefix(5))")
        // Each delivery is drawn from start to end with nothing of the next bundle between.
        for (index, frame) in progress.enumerated() where frame.contains("  delivering ") {
            let name = String(frame.prefix { $0 != ")" })
            #expect(index + 1 < progress.count && progress[index + 1].hasPrefix(name) && progress[index + 1].contains("  delivered  |"), "\(frame) then \(progress.dropFirst(index + 1).first ?? "nothing")")
        }
        #expect(progress.contains { $0.hasPrefix("bundle 1 of ") && $0.contains("  delivering ") && $0.hasSuffix("|  0 of \($0.split(separator: " ")[3]) done") })
        #expect(progress.contains { $0.contains("of 30 done, ") && $0.contains(" events, ") && $0.contains("%, ") && $0.hasSuffix(" left") }, "\(progress.suffix(4))")
        #expect(progress.last?.hasPrefix("bundle 30 of 30 (") == true && progress.last?.hasSuffix("  delivered  |  30 of 30 done, \(progress.last!.split(separator: ",")[1].trimmingCharacters(in: .whitespaces)), 100%") == true, "\(progress.last ?? "")")
        #expect(frames.last?.contains("30 bundles, ") == true && frames.last?.contains(" events") == true, "\(frames.suffix(2))")
    }

    @Test("With -q, or with stderr not a terminal, nothing is drawn")
    func quiet() async throws {
        let folder = try TemporaryFolder("progress-quiet")
        _ = try folder.rawPipeline("raw.fsexport.yml", source: "start: 2024-01-01, until: 2024-01-03")
        let frames = try await Self.frames(of: "run raw.fsexport.yml --simulate -q", in: folder)
        #expect(!frames.contains { $0.hasPrefix("bundle ") || $0.hasPrefix("listing") }, "\(frames)")
        let piped = try await FSExportBinary.run(["run", "raw.fsexport.yml", "--simulate", "--since", "2024-01-01"], directory: folder.path)
        #expect(piped.status == 0 && !piped.stderr.contains("\r") && !piped.stderr.contains("listing bundles"), "\(piped.stderr)")
    }

    @Test("A transfer shows bytes of the total, a percentage, its rate and the time left")
    func transfer() {
        let start = ContinuousClock.now
        let line = ProgressDisplay.describe(
            TransferProgress(bytes: 30 << 20, total: 40 << 20), since: (start, 10 << 20), now: start + .seconds(4))
        #expect(line == "30.0 MiB / 40.0 MiB  75%  5.0 MiB/s  2s left")
        #expect(ProgressDisplay.describe(TransferProgress(bytes: 512, total: nil), since: (start, 0), now: start + .seconds(1)) == "512 B  512 B/s")
    }

    @Test("The run's part: bundles done of how many, events, and once the listing has ended the percentage and the time left by bundles")
    func overall() {
        var tally = ProgressDisplay.RunTally()
        tally.done = 3
        tally.events = 1200
        tally.note(RunProgress.Position(number: 4, listed: 5, listingComplete: false))
        #expect(tally.overall(now: tally.started + .seconds(30)) == "3 of 5+ done, 1200 events")
        tally.note(RunProgress.Position(number: 4, listed: 12, listingComplete: true))
        #expect(tally.overall(now: tally.started + .seconds(30)) == "3 of 12 done, 1200 events, 25%, 1m30s left")
        tally.events = 0
        tally.done = 12
        #expect(tally.overall(now: tally.started + .seconds(30)) == "12 of 12 done, 100%")
    }
}
