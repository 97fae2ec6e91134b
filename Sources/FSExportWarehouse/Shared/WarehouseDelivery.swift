import AsyncAlgorithms
import FSExportCore
import Synchronization

/// What the database stages share at deliver: a bundle's events loaded in a transaction that the
/// stage's commit commits and its abort rolls back; a bundle the ledger has is skipped, unless
/// delivered again on purpose. The events are encoded into rows in the stage's own task while
/// the database's thread writes the rows before them (one buffer in flight), so that the two use
/// two cores. Cancelling the delivery (a second Ctrl-C) interrupts the database call in progress.
enum WarehouseDelivery {
    static func deliver(_ delivery: Delivery, into load: WarehouseLoad, table: TableName, evolve: Bool) async throws -> Commit {
        let bundle = delivery.bundle.id, logger = delivery.logger
        return try await withTaskCancellationHandler {
            let (shape, dialect): (TableShape, SQLDialect)
            switch try await load.begin(bundle: bundle, redelivery: delivery.bundle.isRedelivery, logger: logger) {
            case .loaded(let events):
                logger.info(
                    "bundle \(bundle) is in \(table) already (\(events) events): a run stopped after loading it and before the state file recorded it; skipped",
                    metadata: ["events": "\(events)"])
                return .nothing
            case .load(let started, let holding):
                (shape, dialect) = (started, holding)
            }
            do {
                try await encode(delivery, into: load, shape: shape, dialect: dialect, evolve: evolve, as: dialect.rowFormat)
            } catch {
                await load.rollback()
                throw error
            }
            return Commit(commit: { try await load.commit() }, abort: { await load.rollback() })
        } onCancel: {
            load.interrupt()
        }
    }

    /// Encodes the bundle's events into rows of the driver's form, and hands them over.
    private static func encode<Rows: RowBatch>(
        _ delivery: Delivery, into load: WarehouseLoad, shape: TableShape, dialect: SQLDialect, evolve: Bool, as: Rows.Type
    ) async throws {
        let bundle = delivery.bundle.id, logger = delivery.logger
        var encoder = RowEncoder<Rows>(shape: shape, evolve: evolve, dialect: dialect)
        try await writing(into: load) { send in
            for try await batch in delivery.input.events {
                encoder.encode(batch, bundle: bundle)
                for change in encoder.takeOutbox() { try await send(change) }
            }
            encoder.flush()
            for change in encoder.takeOutbox() { try await send(change) }
        }
        let types = Dictionary(encoder.shape.columns.map { ($0.name, $0.type) }) { first, _ in first }
        try await load.finish(bundle: bundle, at: delivery.bundle.deliveredAt, events: encoder.events, misfits: encoder.misfits, types: types, logger: logger)
        logger.debug("bundle \(bundle): \(encoder.events) rows loaded, to be committed with the bundle", metadata: ["events": "\(encoder.events)"])
    }

    /// Runs `produce`, whose changes a child task applies to the database in order, one in flight:
    /// the producer makes the next while the database takes this one. A change the database
    /// refuses ends both, with its error.
    private static func writing(
        into load: WarehouseLoad, _ produce: (_ send: (TableChange) async throws -> Void) async throws -> Void
    ) async throws {
        let changes = AsyncThrowingChannel<TableChange, any Error>()
        let refused = Refusal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await change in changes.buffer(policy: .bounded(2)) { try await load.apply(change) }
                } catch {
                    refused.set(error)
                    changes.fail(error)  // the producer's next send returns, and it stops
                    throw error
                }
            }
            do {
                try await produce { change in
                    await changes.send(change)
                    if let error = refused.error { throw error }
                }
                changes.finish()
            } catch {
                changes.fail(error)
                throw error
            }
            try await group.waitForAll()
        }
    }
}

/// The error the database's side ended with, for the producing side to stop on.
private final class Refusal: Sendable {
    private let stored = Mutex<(any Error)?>(nil)
    func set(_ error: any Error) { stored.withLock { $0 = error } }
    var error: (any Error)? { stored.withLock { $0 } }
}
