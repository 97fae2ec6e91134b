import FSExportCore
import Synchronization

/// A one-line download progress display on stderr, shown only when stderr is a terminal. The rate
/// is each transfer's own, from its first report.
final class ProgressDisplay: Sendable {
    private let label: String
    private let enabled: Bool
    private let transfer = Mutex<(bundle: Int64, started: ContinuousClock.Instant)?>(nil)
    private let shown = Atomic<Bool>(false)

    init(label: String = "downloading", enabled: Bool = Terminal.standardError.isInteractive) {
        self.label = label
        self.enabled = enabled
    }

    /// A reporter for downloads of any bundle, each shown with its id.
    var bundleReporter: (@Sendable (ExportBundle, TransferProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] bundle, progress in self.show(progress, of: bundle.id, label: "\(label) bundle \(bundle.id)") }
    }

    /// A reporter for one download.
    var reporter: (@Sendable (TransferProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] progress in self.show(progress, of: 0, label: self.label) }
    }

    private func show(_ progress: TransferProgress, of bundle: Int64, label: String) {
        shown.store(true, ordering: .relaxed)
        if let percent = progress.preparedPercent {
            // The source is still building the file (a segment export RUNNING): no bytes yet.
            Terminal.standardError.write("\r\u{1B}[2K\(label)  export being prepared: \(percent)%")
            return
        }
        let started = transfer.withLock { current in
            if current?.bundle != bundle { current = (bundle, .now) }
            return current!.started
        }
        let seconds = max((ContinuousClock.now - started) / .seconds(1), 0.001)
        let rate = ByteFormat.string(Int64(Double(progress.bytes) / seconds)) + "/s"
        let amount = progress.total.map { "\(ByteFormat.string(progress.bytes)) / \(ByteFormat.string($0))" } ?? ByteFormat.string(progress.bytes)
        Terminal.standardError.write("\r\u{1B}[2K\(label)  \(amount)  \(rate)")
    }

    /// Clears the line, if anything was shown.
    func finish() {
        if shown.load(ordering: .relaxed) { Terminal.standardError.write("\r\u{1B}[2K") }
    }
}

enum ByteFormat {
    static func string(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
