extension Result where Failure == any Error {
    /// The outcome of an async throwing body, as a value: for loops that look at a failure before
    /// they decide what to do with it (the retry layer, the engine's stages).
    package init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
