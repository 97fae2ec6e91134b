import Foundation
import FSExportCore

/// What the metrics must remember from one run to the next, kept beside the state file
/// (`state.json.metrics`): each counter's total, so that the textfile's counters are cumulative
/// (two nights of 3 bundles read 3, then 6, and `increase()` sees both), and when the pipeline
/// last succeeded, so that a failed run still writes that series for a staleness alert.
struct MetricsTotals: Codable, Equatable {
    /// One counter series: its name and labels (without `pipeline`, which the factory adds).
    struct Series: Codable, Hashable {
        var name: String
        var labels: [String: String]
    }

    struct Count: Codable, Equatable {
        var series: Series
        var value: Int64
    }

    var counters: [Count] = []
    var lastSuccess: Int64?
    var lastRun: Int64?
    var lastRunSucceeded: Bool?

    enum CodingKeys: String, CodingKey {
        case counters
        case lastSuccess = "last_success"
        case lastRun = "last_run"
        case lastRunSucceeded = "last_run_succeeded"
    }

    static func path(beside statePath: String) -> String { statePath + ".metrics" }

    /// The totals saved at `path`; none when there are none yet. A file that cannot be read
    /// starts the counters again from zero (said in the log): Prometheus reads a drop as a restart.
    static func load(from path: String, logger: (String) -> Void) -> MetricsTotals {
        guard FileManager.default.fileExists(atPath: path) else { return MetricsTotals() }
        do {
            let data = try SmallFile.read(path, limit: 1 << 20, what: "metrics totals", followingLinks: false)
            return try JSONDecoder().decode(MetricsTotals.self, from: data)
        } catch {
            logger("cannot read the metrics totals at \(path) (\(error)); counters start again from zero")
            return MetricsTotals()
        }
    }

    /// Saves the totals atomically, through the state file's folder.
    func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let (folder, name) = ConfinedRoot.holding(path)
        try folder.writeAtomically(try encoder.encode(self), to: name)
    }
}
