import FSExportSimulator
import Foundation
import FSExportTestSupport
import Testing

@Suite("Log fields")
struct LogFieldsTests {
    /// A field as text, whether the line holds it as a JSON string or number.
    static func text(_ value: Any?) -> String? { value.map { "\($0)" } }

    @Test("Every JSON line of a run with a retry and a failing stage parses, names its pipeline; bundle lines carry bundle_id, the error its stage and exit code")
    func fields() async throws {
        let work = try TemporaryFolder("work")
        // The command stage succeeds on the first bundle and fails on the second.
        try """
            source: {start: 0, settle: 0s, until: 2024-01-04, state: \(work)/state.json, spool: \(work)/spool}
            stages:
              raw: {type: files, inputs: [source], root: \(work)/out, path: "{id}.json.gz"}
              flaky: {type: command, inputs: [source], shell: 'cat > /dev/null; [ ! -e \(work)/once ] && touch \(work)/once'}
            """.write(toFile: "\(work)/nightly.fsexport.yml", atomically: true, encoding: .utf8)
        try await withSimulator(SimulatorConfiguration(rateLimit: nil, faults: [FaultRule(.unavailable, on: .get, .requests([1]), retryAfter: 0)])) { simulator in
            let run = try await FSExportBinary.run(
                ["run", "\(work)/nightly.fsexport.yml", "--log-format", "json"], key: simulator.configuration.apiKey,
                environment: ["FSEXPORT_BASE_URL": simulator.baseURL])
            #expect(run.status == 1, "\(run.stderr)")
            let lines = run.stderr.split(separator: "\n").map(String.init)
            try #require(lines.count >= 5, "\(run.stderr)")
            var objects: [[String: Any]] = []
            for line in lines {
                let object = try #require(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
                #expect(object["pipeline"] as? String == "nightly", "\(line)")
                objects.append(object)
            }
            func messages(starting prefix: String) -> [[String: Any]] { objects.filter { ($0["message"] as? String)?.hasPrefix(prefix) == true } }
            let delivering = messages(starting: "delivering")
            #expect(delivering.count == 2)
            #expect(delivering.allSatisfy { $0["bundle_id"] != nil && $0["bytes"] != nil })
            let committed = try #require(messages(starting: "committed bundle").first)
            #expect(committed["bundle_id"] != nil && Self.text(committed["events"]) == "200" && committed["duration_s"] != nil)
            let retry = try #require(objects.first { $0["attempt"] != nil }, "\(run.stderr)")
            #expect(retry["wait_s"] != nil && Self.text(retry["reason"]) == "http_503")
            let error = try #require(objects.first { $0["level"] as? String == "error" }, "\(run.stderr)")
            #expect(Self.text(error["exit_code"]) == "1")
            #expect(Self.text(error["stage"]) == "flaky")
            #expect(Self.text(error["bundle_id"]) != nil && Self.text(error["bundle_id"]) == Self.text(delivering.last?["bundle_id"]))
        }
    }
}
