/// Waits until `condition` holds, looking again every `interval`, for at most `limit`, and says
/// whether it held: the one way the tests wait for what another process or task does.
@discardableResult
public func waitUntil(
    within limit: Duration = .seconds(30), every interval: Duration = .milliseconds(20), _ condition: () throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while try !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: interval)
    }
    return true
}
