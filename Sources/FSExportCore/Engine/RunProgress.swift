/// What a run is doing, for a progress display: listing, fetching a bundle (which one of how
/// many, and how far), delivering it, and done with it.
public enum RunProgress: Sendable {
    /// Asking the source what there is to deliver.
    case listing
    /// Fetching `bundle`, the `position.number`-th of the run (the next bundle is fetched while
    /// this one is delivered).
    case fetching(ExportBundle, position: Position, TransferProgress)
    /// Delivering `bundle`, whose file is `bytes` long, through the stages.
    case delivering(ExportBundle, position: Position, bytes: Int64)
    /// `bundle` went through every stage and was committed to the state file.
    case delivered(ExportBundle, position: Position, events: Int, bytes: Int64)

    public struct Position: Sendable, Equatable {
        /// 1 for the run's first bundle.
        public var number: Int
        /// Bundles listed so far (this one included).
        public var listed: Int
        /// Whether the listing has ended, so that ``listed`` is the run's total.
        public var listingComplete: Bool

        public init(number: Int, listed: Int, listingComplete: Bool) {
            self.number = number
            self.listed = listed
            self.listingComplete = listingComplete
        }
    }
}
