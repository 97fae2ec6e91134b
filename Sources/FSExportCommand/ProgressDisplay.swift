import FSExportCore
import Synchronization

/// A one-line progress display on stderr, shown only when stderr is a terminal: what the run is
/// doing (listing; bundle 3 of 45, downloading or delivering), for a transfer its bytes,
/// percentage, rate and time left, and for the run the bundles done, their events, the percentage
/// and the time left (by bundles, once the listing has ended). The next bundle's download, which
/// runs while a bundle is delivered, is not shown over it. The rate is each transfer's own.
final class ProgressDisplay: Sendable {
    private let label: String
    private let enabled: Bool
    private let transfer = Mutex<(bundle: Int64, started: ContinuousClock.Instant, firstBytes: Int64)?>(nil)
    private let run = Mutex(RunTally())
    private let shown = Atomic<Bool>(false)

    init(label: String = "downloading", enabled: Bool = Terminal.standardError.isInteractive) {
        self.label = label
        self.enabled = enabled
    }

    /// What a run has done so far.
    struct RunTally {
        var started = ContinuousClock.now
        /// The bundle whose delivery is under way.
        var delivering: Int64?
        var done = 0
        var events = 0
        var listed = 0
        var listingComplete = false

        mutating func note(_ position: RunProgress.Position) {
            listed = max(listed, position.listed)
            listingComplete = listingComplete || position.listingComplete
        }

        /// `bundle 3 of 45` (`of 45+` while the listing goes on).
        func name(_ position: RunProgress.Position, _ bundle: ExportBundle) -> String {
            "bundle \(position.number) of \(listed)\(listingComplete ? "" : "+") (\(bundle.id))"
        }

        /// `2 of 45 done, 12000 events, 4%, 1m10s left`.
        func overall(now: ContinuousClock.Instant = .now) -> String {
            var parts = ["\(done) of \(listed)\(listingComplete ? "" : "+") done"]
            if events > 0 { parts.append("\(events) events") }  // none for a pipeline of raw files
            if listingComplete, listed > 0 {
                parts.append("\(done * 100 / listed)%")
                if done > 0, done < listed {
                    let each = (now - started) / done
                    parts.append("\(DurationText.format(.seconds(Int((each * (listed - done) / .seconds(1)).rounded(.up))))) left")
                }
            }
            return parts.joined(separator: ", ")
        }
    }

    /// A reporter for a pipeline run.
    var runReporter: (@Sendable (RunProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] event in
            // Drawn under the lock: a line worked out first must not be drawn last (the next
            // bundle's download reports from another thread while this one is delivered).
            run.withLock { tally in
                if let line = self.line(for: event, tally: &tally) { self.draw(line) }
            }
        }
    }

    /// The line that shows `event`, or nil when it is not shown.
    private func line(for event: RunProgress, tally: inout RunTally) -> String? {
        switch event {
        case .listing:
            return "listing bundles…"
        case .fetching(let bundle, let position, let progress):
            tally.note(position)
            guard tally.delivering == nil else { return nil }  // the next one, downloading behind the delivery
            return "\(tally.name(position, bundle))  \(self.transferText(progress, of: bundle.id))  |  \(tally.overall())"
        case .delivering(let bundle, let position, let bytes):
            tally.note(position)
            tally.delivering = bundle.id
            return "\(tally.name(position, bundle))  delivering \(ByteSizeText.format(bytes))  |  \(tally.overall())"
        case .delivered(let bundle, let position, let events, _):
            tally.note(position)
            tally.delivering = nil
            tally.done += 1
            tally.events += events
            return "\(tally.name(position, bundle))  delivered  |  \(tally.overall())"
        }
    }

    /// A reporter for one download.
    var reporter: (@Sendable (TransferProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] progress in self.show(progress, of: 0, label: self.label) }
    }

    private func show(_ progress: TransferProgress, of bundle: Int64, label: String) {
        draw("\(label)  " + transferText(progress, of: bundle))
    }

    private func transferText(_ progress: TransferProgress, of bundle: Int64) -> String {
        // A segment export still RUNNING: the source is building the file, no bytes yet.
        if let percent = progress.preparedPercent { return "export being prepared: \(percent)%" }
        return Self.describe(progress, since: started(bundle, at: progress.bytes))
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
