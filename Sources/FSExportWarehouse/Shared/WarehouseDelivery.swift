import FSExportCore

/// What the database stages share at deliver: a bundle's events loaded in a transaction that the
/// stage's commit commits and its abort rolls back; a bundle the ledger has is skipped, unless
/// delivered again on purpose. Cancelling the delivery (a second Ctrl-C) interrupts the database
/// call in progress.
enum WarehouseDelivery {
    static func deliver(_ delivery: Delivery, into load: WarehouseLoad, table: TableName) async throws -> Commit {
        let bundle = delivery.bundle.id, logger = delivery.logger
        return try await withTaskCancellationHandler {
            switch try await load.begin(bundle: bundle, redelivery: delivery.bundle.isRedelivery, logger: logger) {
            case .loaded(let events):
                logger.info(
                    "bundle \(bundle) is in \(table) already (\(events) events): a run stopped after loading it and before the state file recorded it; skipped",
                    metadata: ["events": "\(events)"])
                return .nothing
            case .load:
                break
            }
            do {
                for try await batch in delivery.input.events { try await load.load(batch, bundle: bundle) }
                let events = try await load.finish(bundle: bundle, logger: logger)
                logger.debug("bundle \(bundle): \(events) rows into \(table), to be committed with the bundle", metadata: ["events": "\(events)"])
            } catch {
                await load.rollback()
                throw error
            }
            return Commit(commit: { try await load.commit() }, abort: { await load.rollback() })
        } onCancel: {
            load.interrupt()
        }
    }
}
