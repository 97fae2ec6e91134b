/// The API's own token bucket: a burst of calls refilled at a steady rate; a call without a token
/// is refused with 429 and the whole seconds until the next token.
struct ServerRateLimiter {
    private let capacity: Double
    private let perSecond: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(burst: Int, perMinute: Double) {
        capacity = Double(burst)
        perSecond = perMinute / 60
        tokens = capacity
        last = .now
    }

    /// Takes a token, or returns the seconds to wait for one.
    mutating func take() -> Int? {
        let now = ContinuousClock.now
        tokens = min(capacity, tokens + (now - last) / .seconds(1) * perSecond)
        last = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return max(1, Int(((1 - tokens) / perSecond).rounded(.up)))
    }
}
