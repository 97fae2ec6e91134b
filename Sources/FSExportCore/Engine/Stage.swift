/// A named step of a pipeline: a sink and where its input comes from.
public struct Stage: Sendable {
    /// Its key under `stages:` in the pipeline file.
    public let name: String
    public let sink: any Sink
    /// The source, other stages, or both: each delivers every bundle to this stage.
    public let inputs: [StageInput]

    public init(name: String, sink: any Sink, inputs: [StageInput]) {
        self.name = name
        self.sink = sink
        self.inputs = inputs
    }

    /// The field its sink reads in every event (``ReadsField``), if any.
    var fieldRead: String? { (sink as? any ReadsField)?.fieldRead }
}

/// Where a stage's input comes from: the bundles themselves, or another stage's files.
public enum StageInput: Sendable, Hashable, CustomStringConvertible {
    case source
    case stage(String)

    public var description: String {
        switch self {
        case .source: "source"
        case .stage(let name): name
        }
    }
}

/// A stage failed; the bundle was not committed anywhere.
public struct StageFailure: Error, Sendable, CustomStringConvertible {
    public var stage: String
    public var bundleID: Int64
    /// What the stage's sink threw.
    public var underlying: any Error

    public var description: String { "stage '\(stage)' failed on bundle \(bundleID): \(underlying)" }
}

extension Array where Element == Stage {
    /// Stages in pipeline order: each after its inputs, as they commit and as a dry run shows
    /// them; as given if they form a cycle (which a pipeline file's validation refuses).
    public var inPipelineOrder: [Stage] { topologicallySorted() ?? self }

    /// Stages ordered so that each comes after its inputs; nil if they form a cycle.
    public func topologicallySorted() -> [Stage]? {
        var placed: Set<String> = []
        var ordered: [Stage] = []
        var remaining = self
        while !remaining.isEmpty {
            let ready = remaining.filter { stage in
                stage.inputs.allSatisfy { if case .stage(let name) = $0 { placed.contains(name) } else { true } }
            }
            if ready.isEmpty { return nil }
            ordered += ready
            placed.formUnion(ready.map(\.name))
            remaining.removeAll { placed.contains($0.name) }
        }
        return ordered
    }
}
