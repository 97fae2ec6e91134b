/// Where a run keeps what is in flight, inside the pipeline's spool folder: each bundle's
/// download, its `.part` while it arrives, and the stages' staging folder. Named here once, for
/// the engine, the sources, the commands that fetch, and the testing harnesses.
package enum SpoolLayout {
    /// The folder below the spool where stages stage what they have not committed.
    package static let staging = "staging"
    /// How a downloaded bundle's file ends.
    package static let bundleSuffix = ".bundle"

    /// The file bundle `id` is downloaded to in `folder`.
    package static func bundlePath(_ id: Int64, in folder: String) -> String { "\(folder)/\(id)\(bundleSuffix)" }

    /// Where a download to `destination` writes as its bytes arrive, and resumes after a break.
    package static func partPath(for destination: String) -> String { destination + ".part" }
}
