import Synchronization

/// Every secret (API key) this process has loaded, so that nothing that leaves the process (a
/// child's environment) carries one, whatever variable it came from (`api_key: ${MY_FS_KEY}`).
public enum Secrets {
    private static let known = Mutex<Set<String>>([])

    /// Adds a secret (the client does for every API key it loads).
    public static func remember(_ secret: String) { known.withLock { _ = $0.insert(secret) } }

    /// Whether `value` holds a key: is one, or has one inside (`Basic KEY`). Inside only counts for
    /// keys of 8 characters or more, so that a short test key cannot match every `PATH`.
    public static func contains(in value: String) -> Bool {
        known.withLock { keys in keys.contains { value == $0 || ($0.count >= 8 && value.contains($0)) } }
    }

    /// The environment without any variable whose value holds a key, nor `FULLSTORY_API_KEY`.
    public static func scrubbed(_ environment: [String: String]) -> [String: String] {
        environment.filter { $0.key != "FULLSTORY_API_KEY" && !contains(in: $0.value) }
    }
}
