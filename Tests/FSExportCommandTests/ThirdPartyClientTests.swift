import Foundation
import FSExportTestSupport
import Testing

/// The simulator answers like the live API, so clients written against the live API work against
/// it: singer-io's tap-fullstory (installed by `.ci/install-deps --tests` into .build-tap) reads every event.
@Suite("A third-party client against the simulator")
struct ThirdPartyClientTests {
    static let tap = "\(FuzzCorpusTests.repository)/.build-tap/bin/python"

    @Test("tap-fullstory turns every event of every bundle into a Singer RECORD")
    func tapFullstory() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tap) else {
            Issue.record("tap-fullstory is not installed: run .ci/install-deps --tests (it makes .build-tap)")
            return
        }
        let work = try TemporaryFolder("work")
        // The simulator, as a user starts it; its first line is its URL.
        let urlFile = "\(work)/url"
        let simulator = try FSExportBinary.start(["simulate", "--port", "0", "--bundles", "5", "--events", "40"], stdout: urlFile)
        defer { simulator.interrupt() }
        var url = ""
        try await waitUntil {
            url = (try? String(contentsOfFile: urlFile, encoding: .utf8))?.split(separator: "\n").first.map(String.init) ?? ""
            return !url.isEmpty
        }
        #expect(!url.isEmpty)

        // The tap as published, pointed at the simulator (its base URL is a module constant).
        try #"{"api_key": "simulator-key", "start_date": "2020-01-01T00:00:00Z"}"#.write(toFile: "\(work)/config.json", atomically: true, encoding: .utf8)
        let script = "import sys, tap_fullstory as tap; tap.BASE_URL = sys.argv[1] + '/api/v1/export/'; sys.argv = ['tap-fullstory', '--config', sys.argv[2]]; tap.main()"
        let output = try await Programs.shell("'\(Self.tap)' -c \"\(script)\" '\(url)' '\(work)/config.json' 2>'\(work)/tap.log'").stdout
        let messages = output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let records = messages.filter { $0["type"] as? String == "RECORD" }.compactMap { $0["record"] as? [String: Any] }
        let log = (try? String(contentsOfFile: "\(work)/tap.log", encoding: .utf8)) ?? ""
        #expect(records.count == 5 * 40, "\(records.count) records; the tap said:\n\(log.suffix(1500))")

        // The same events fsexport itself reads from that simulator.
        let events = try await Programs.shell("FULLSTORY_API_KEY=simulator-key '\(FSExportBinary.url.path)' events --base-url '\(url)' -q").stdout
        let types = events.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["EventType"] as? String }
        #expect(records.compactMap { $0["EventType"] as? String }.sorted() == types.sorted())
    }
}
