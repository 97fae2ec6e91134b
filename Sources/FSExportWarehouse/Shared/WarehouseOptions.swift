import FSExportCore

/// What the database stages' options share.
enum WarehouseOptions {
    static let defaultTable = "fullstory_events"

    /// A database stage loads events and hands no files on.
    static func check(_ context: SinkContext) throws(SinkError) {
        if context.hasDownstream {
            throw SinkError("a database stage hands no files to other stages: remove it from their inputs")
        }
    }
}
