import FSExportCore
import Synchronization

/// A one-line progress display on stderr, shown only when stderr is a terminal: what the run is
/// doing (listing; bundle 3 of 45), and for a transfer its bytes, percentage, rate and time left.
/// The rate is each transfer's own, from its first report.
final class ProgressDisplay: Sendable {
    private let label: String
    private let enabled: Bool
    private let transfer = Mutex<(bundle: Int64, started: ContinuousClock.Instant, firstBytes: Int64)?>(nil)
    private let shown = Atomic<Bool>(false)

    init(label: String = "downloading", enabled: Bool = Terminal.standardError.isInteractive) {
        self.label = label
        self.enabled = enabled
    }

    /// A reporter for a pipeline run.
    var runReporter: (@Sendable (RunProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] event in
            switch event {
            case .listing:
                self.draw("listing bundles…")
            case .fetching(let bundle, let position, let progress):
                let total = position.listingComplete ? "\(position.listed)" : "\(position.listed)+"
                self.show(progress, of: bundle.id, label: "bundle \(position.number) of \(total) (\(bundle.id))")
            }
        }
    }

    /// A reporter for one download.
    var reporter: (@Sendable (TransferProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] progress in self.show(progress, of: 0, label: self.label) }
    }

    private func show(_ progress: TransferProgress, of bundle: Int64, label: String) {
        if let percent = progress.preparedPercent {
            // The source is still building the file (a segment export RUNNING): no bytes yet.
            draw("\(label)  export being prepared: \(percent)%")
            return
        }
        draw("\(label)  " + Self.describe(progress, since: started(bundle, at: progress.bytes)))
    }

    /// When this bundle's transfer began, and the bytes it began with (a resumed one starts above 0).
    private func started(_ bundle: Int64, at bytes: Int64) -> (instant: ContinuousClock.Instant, bytes: Int64) {
        transfer.withLock { current in
            if current?.bundle != bundle { current = (bundle, .now, bytes) }
            return (current!.started, current!.firstBytes)
        }
    }

    /// `12.3 MiB / 36.5 MiB  34%  5.2 MiB/s  1m10s left`
    static func describe(_ progress: TransferProgress, since start: (instant: ContinuousClock.Instant, bytes: Int64), now: ContinuousClock.Instant = .now) -> String {
        let seconds = max((now - start.instant) / .seconds(1), 0.001)
        let rate = Double(max(progress.bytes - start.bytes, 0)) / seconds
        var parts = [ByteSizeText.format(progress.bytes)]
        if let total = progress.total, total > 0 {
            parts[0] += " / \(ByteSizeText.format(total))"
            parts.append("\(min(100, progress.bytes * 100 / total))%")
        }
        parts.append(ByteSizeText.format(Int64(rate)) + "/s")
        if let total = progress.total, rate > 0, total > progress.bytes, seconds >= 1 {
            parts.append("\(DurationText.format(.seconds(Int((Double(total - progress.bytes) / rate).rounded(.up))))) left")
        }
        return parts.joined(separator: "  ")
    }

    private func draw(_ line: String) {
        shown.store(true, ordering: .relaxed)
        Terminal.standardError.write("\r\u{1B}[2K\(line)")
    }

    /// Clears the line, if anything was shown.
    func finish() {
        if shown.load(ordering: .relaxed) { Terminal.standardError.write("\r\u{1B}[2K") }
    }
}
