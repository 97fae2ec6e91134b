import Foundation
import FSExportCore
import FSExportSinkTesting
import FSExportTestSupport
import Testing

@testable import FSExportSinks

/// The external sink's line protocol, driven directly with a program that keeps a log of what it
/// was sent: begin with the bundle, the events in counted batches, end, then commit or abort.
@Suite("The external sink")
struct ExternalSinkTests {
    /// A program speaking the protocol: it logs each control message, with the events it read,
    /// and answers `end` with a refusal when REFUSE is set.
    static let program = #"""
        import json, os, sys
        log = open(os.environ["LOG"], "a")
        events = 0
        for line in sys.stdin:
            message = json.loads(line)
            step = message["fsexport"]
            if step == "begin":
                log.write("begin %d %s %s\n" % (message["bundle"]["id"], message["stage"], os.environ["FSEXPORT_BUNDLE_ID"]))
            elif step == "events":
                for _ in range(message["count"]):
                    json.loads(sys.stdin.readline())
                    events += 1
            elif step == "end":
                log.write("end %d\n" % events)
                refused = os.environ.get("REFUSE")
                print(json.dumps({"ok": False, "error": refused} if refused else {"ok": True}), flush=True)
            else:
                log.write(step + "\n")
                print(json.dumps({"ok": True}), flush=True)
                break
        log.flush()
        """#

    static func sink(in work: TemporaryFolder, refusing reason: String? = nil) throws -> ExternalSink {
        let script = try work.write("sink.py", program)
        var environment = ["LOG": work.file("log")]
        environment["REFUSE"] = reason
        let options = ExternalSink.Options(command: ["python3", script], environment: environment, timeout: "30s")
        return try ExternalSink(options: options, context: SinkContext(stage: "ext", baseDirectory: work.path, readsSource: true, hasDownstream: false))
    }

    @Test("Each bundle is begun with its id, its events are sent whole, and it ends and commits")
    func delivers() async throws {
        let work = try TemporaryFolder("external")
        let result = try await SinkHarness(sink: Self.sink(in: work)).deliver(bundles: 2, eventsPerBundle: 30)
        #expect(result.events == 60 && result.files.isEmpty)
        let expected = result.bundles.flatMap { ["begin \($0.id) ext \($0.id)", "end 30", "commit"] }
        #expect(work.read("log")?.split(separator: "\n").map(String.init) == expected, "\(work.read("log") ?? "no log")")
    }

    @Test("A refusal at end fails the bundle with the program's words, and the program is told to abort")
    func refusal() async throws {
        let work = try TemporaryFolder("external-refusal")
        await #expect {
            _ = try await SinkHarness(sink: Self.sink(in: work, refusing: "disk quota exceeded")).deliver(bundles: 1, eventsPerBundle: 5)
        } throws: { error in
            "\(error)".contains("disk quota exceeded")
        }
        let log = work.read("log") ?? ""
        #expect(log.hasPrefix("begin ") && log.hasSuffix("end 5\nabort\n") && !log.contains("commit"), "\(log)")
    }
}
