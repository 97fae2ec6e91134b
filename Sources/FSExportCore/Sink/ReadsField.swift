/// A sink that reads one top-level field of every event, to split or route by it, says which: the
/// decoder then notes where that field's value lies while it checks each event, and
/// ``FieldTexts`` reads the value from there instead of walking the event a second time.
///
/// ```swift
/// struct ByCountry: Sink, ReadsField {
///     var fieldRead: String? { "PageCountry" }
///     func deliver(_ delivery: Delivery) async throws -> Commit {
///         var countries = FieldTexts(field: "PageCountry")
///         for try await batch in delivery.input.events {
///             for event in batch.events { _ = countries.text(of: event) }  // no second pass over the event
///         }
///         return .nothing
///     }
/// }
/// ```
///
/// Only speed depends on it: ``FieldTexts`` gives the same texts for batches decoded without the
/// field noted (one field is noted per decoding; other stages' fields are looked up).
public protocol ReadsField: Sink {
    /// The top-level key, or nil when this stage reads no field.
    var fieldRead: String? { get }
}
