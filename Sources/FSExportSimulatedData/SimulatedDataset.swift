/// The bundles a simulator serves: deterministic from a seed, shaped like real exports.
///
/// Bundle `i` covers `[firstStart + i·span, firstStart + (i+1)·span)` and has the id real
/// exports show, `Start · 100 + span / 30 minutes` (48 for a daily bundle).
public struct SimulatedDataset: Sendable, Equatable {
    public var seed: UInt64
    public var bundleCount: Int
    /// Unix seconds at which the first bundle starts.
    public var firstStart: Int64
    /// Seconds each bundle covers: 86 400 (daily) or 1 800 (30 minutes) in real exports.
    public var span: Int64
    public var eventsPerBundle: Int
    /// Bundle indices (0-based) that hold no events: `[]`.
    public var emptyBundles: Set<Int>
    /// Event counts for particular bundle indices, to make a few bundles huge.
    public var eventCountOverrides: [Int: Int]

    public init(
        seed: UInt64 = 1, bundleCount: Int = 45, firstStart: Int64 = 1_704_067_200, span: Int64 = 86_400,
        eventsPerBundle: Int = 200, emptyBundles: Set<Int> = [], eventCountOverrides: [Int: Int] = [:]
    ) {
        self.seed = seed
        self.bundleCount = bundleCount
        self.firstStart = firstStart
        self.span = span
        self.eventsPerBundle = eventsPerBundle
        self.emptyBundles = emptyBundles
        self.eventCountOverrides = eventCountOverrides
    }

    public struct Bundle: Sendable, Hashable {
        public var index: Int
        public var id: Int64
        public var start: Int64
        public var stop: Int64
        public var eventCount: Int
    }

    public var bundles: [Bundle] { (0..<bundleCount).map(bundle(at:)) }

    public func bundle(at index: Int) -> Bundle {
        let start = firstStart + Int64(index) * span
        let count = emptyBundles.contains(index) ? 0 : eventCountOverrides[index] ?? eventsPerBundle
        return Bundle(index: index, id: start * 100 + span / 1800, start: start, stop: start + span, eventCount: count)
    }

    public func bundle(id: Int64) -> Bundle? {
        let unitsPerBundle = span / 1800
        guard (id - unitsPerBundle) % 100 == 0 else { return nil }
        let start = (id - unitsPerBundle) / 100
        guard (start - firstStart) % span == 0 else { return nil }
        let index = (start - firstStart) / span
        guard index >= 0, index < bundleCount else { return nil }
        return bundle(at: Int(index))
    }
}
