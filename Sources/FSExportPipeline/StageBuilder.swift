import FSExportCore
import Yams

/// Reads the `stages` section: each stage's type, inputs and options; checks the graph (unknown
/// inputs, cycles); builds each sink, reporting every problem at its place in the file.
struct StageBuilder {
    let session: DecodingSession
    let registry: SinkRegistry
    let baseDirectory: String
    let mode: Pipeline.Mode

    private struct Declaration {
        var name: String
        var nameMark: Mark?
        var mapping: Node.Mapping
        var type: String?
        var inputs: [(name: String, mark: Mark?)]
    }

    func build(_ node: Node?, in root: Node.Mapping) -> [Stage]? {
        guard let node else {
            session.error("missing 'stages' section: at least one stage must take the source's bundles", at: root.mark)
            return nil
        }
        guard case .mapping(let stagesMapping) = node, !stagesMapping.isEmpty else {
            session.error("'stages' must be a mapping of stage names to their settings", at: node.mark)
            return nil
        }
        let declarations = stagesMapping.compactMap(declaration)
        let names = Set(declarations.map(\.name))
        var valid = checkInputs(declarations, names: names)
        valid = checkCycles(declarations) && valid
        if !declarations.contains(where: { $0.inputs.contains { $0.name == "source" } }) {
            session.error("no stage reads the source: give at least one stage 'inputs: [source]'", at: node.mark)
            valid = false
        }
        var stages: [Stage] = []
        for declaration in declarations {
            if let stage = makeStage(declaration, all: declarations) { stages.append(stage) } else { valid = false }
        }
        return valid && stages.count == declarations.count ? stages : nil
    }

    private func declaration(_ pair: Node.Mapping.Element) -> Declaration? {
        guard let name = pair.key.string, !name.isEmpty else {
            session.error("a stage name must be a plain string", at: pair.key.mark)
            return nil
        }
        if name == "source" { session.error("'source' is reserved for the bundles themselves; name the stage differently", at: pair.key.mark) }
        if name.contains("/") || name.hasPrefix(".") { session.error("stage names may not contain '/' or start with '.'", at: pair.key.mark) }
        guard case .mapping(let mapping) = pair.value else {
            session.error("stage '\(name)' must be a mapping with type, inputs and options", at: pair.value.mark)
            return nil
        }
        session.reservedKeys[DecodingSession.MarkKey(mapping.mark)] = ["type", "inputs"]
        var declaration = Declaration(name: name, nameMark: pair.key.mark, mapping: mapping, type: nil, inputs: [])
        if let type = mapping.first(where: { $0.key.string == "type" })?.value {
            declaration.type = type.string
            if type.string == nil { session.error("'type' of stage '\(name)' must be a name", at: type.mark) }
        } else {
            session.error("stage '\(name)' has no 'type' (one of \(registry.types.joined(separator: ", ")))", at: pair.key.mark)
        }
        switch mapping.first(where: { $0.key.string == "inputs" })?.value {
        case .sequence(let list)?:
            declaration.inputs = list.compactMap { item in
                guard let text = item.string else {
                    session.error("inputs are stage names or 'source'", at: item.mark)
                    return nil
                }
                return (text, item.mark)
            }
            if declaration.inputs.isEmpty { session.error("stage '\(name)' has an empty 'inputs' list", at: mapping.mark) }
        case .scalar(let single)?:
            declaration.inputs = [(single.string, single.mark)]
        case let other?:
            session.error("'inputs' must be a list such as [source]", at: other.mark)
        case nil:
            session.error("stage '\(name)' has no 'inputs': add 'inputs: [source]' or the names of the stages it reads", at: pair.key.mark)
        }
        return declaration
    }

    private func checkInputs(_ declarations: [Declaration], names: Set<String>) -> Bool {
        var valid = true
        for declaration in declarations {
            for input in declaration.inputs where input.name != "source" && !names.contains(input.name) {
                session.error(
                    "stage '\(declaration.name)' reads '\(input.name)', which is not a stage\(Suggestion.didYouMean(input.name, in: names.union(["source"])))",
                    at: input.mark)
                valid = false
            }
            for input in declaration.inputs where input.name == declaration.name {
                session.error("stage '\(declaration.name)' reads itself", at: input.mark)
                valid = false
            }
        }
        return valid
    }

    /// Reports one stage of each cycle, naming the whole loop.
    private func checkCycles(_ declarations: [Declaration]) -> Bool {
        let inputs = Dictionary(declarations.map { ($0.name, $0.inputs.map(\.name)) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var valid = true
        func visit(_ name: String, _ trail: [String]) {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let loop = trail.drop { $0 != name } + [name]
                let declaration = declarations.first { $0.name == name }
                session.error("stages form a cycle: \(loop.joined(separator: " → "))", at: declaration?.nameMark)
                valid = false
                return
            }
            state[name] = 1
            for input in inputs[name] ?? [] where inputs[input] != nil && input != name { visit(input, trail + [name]) }
            state[name] = 2
        }
        for declaration in declarations { visit(declaration.name, []) }
        return valid
    }

    /// The position of a character inside a scalar (past its opening quote, if any).
    static func position(of value: Node?, offset: Int?) -> (line: Int, column: Int)? {
        guard let value, let mark = value.mark else { return nil }
        guard let offset, case .scalar(let scalar) = value, !scalar.string.contains("\n") else { return (mark.line, mark.column) }
        let quote = scalar.style == .singleQuoted || scalar.style == .doubleQuoted ? 1 : 0
        return (mark.line, mark.column + quote + offset)
    }

    static func position(of mark: Mark?) -> (line: Int, column: Int) { (mark?.line ?? 1, mark?.column ?? 1) }

    private func makeStage(_ declaration: Declaration, all: [Declaration]) -> Stage? {
        guard let type = declaration.type else { return nil }
        guard let entry = registry.entries[type] else {
            let mark = declaration.mapping.first { $0.key.string == "type" }?.value.mark
            if mode == .validateAllowingUnknownTypes {
                session.warning("stage type '\(type)' is not built in; its options are checked when it runs in a binary that registers it", at: mark)
                session.noteFailure(in: declaration.mapping)  // its keys are its own business
                return Stage(name: declaration.name, sink: UncheckedSink(type: type), inputs: declaration.inputs.map { $0.name == "source" ? .source : .stage($0.name) })
            }
            session.error("unknown stage type '\(type)'\(Suggestion.didYouMean(type, in: registry.types)) (known: \(registry.types.joined(separator: ", ")))", at: mark)
            session.noteFailure(in: declaration.mapping)
            return nil
        }
        let context = SinkContext(
            stage: declaration.name, baseDirectory: baseDirectory,
            readsSource: declaration.inputs.contains { $0.name == "source" },
            hasDownstream: all.contains { $0.inputs.contains { $0.name == declaration.name } })
        let decoder = NodeDecoder(node: .mapping(declaration.mapping), session: session, codingPath: [AnyKey(declaration.name)])
        do {
            let sink = try entry.build(decoder, context)
            let inputs: [StageInput] = declaration.inputs.map { $0.name == "source" ? .source : .stage($0.name) }
            return Stage(name: declaration.name, sink: sink, inputs: inputs)
        } catch let error as LocatedError {
            session.error(error.message, at: error.mark)
        } catch let error as DecodingError {
            let path = DecodingSession.codingPath(of: error).dropFirst()
            session.error(DecodingSession.describe(error), at: DecodingSession.node(at: path, in: .mapping(declaration.mapping))?.mark)
        } catch let error as SinkError {
            let value = error.option.flatMap { option in declaration.mapping.first { $0.key.string == option }?.value }
            // A value that named an unset variable was reported as such; what it became says nothing more.
            // At build time that is a warning, and the stage is checked when it runs.
            if let value, session.unresolved.contains(DecodingSession.MarkKey(value.mark)) {
                session.noteFailure(in: declaration.mapping)
                guard mode == .validateAllowingUnknownTypes else { return nil }
                return Stage(name: declaration.name, sink: UncheckedSink(type: type), inputs: declaration.inputs.map { $0.name == "source" ? .source : .stage($0.name) })
            }
            let place = Self.position(of: value, offset: error.offset) ?? Self.position(of: declaration.nameMark)
            session.error("stage '\(declaration.name)': \(error)", line: place.line, column: place.column)
        } catch {
            session.error("stage '\(declaration.name)': \(error)", at: declaration.nameMark)
        }
        session.noteFailure(in: declaration.mapping)
        return nil
    }
}

/// Stands for a stage of a type this program does not know, in a pipeline that is only checked.
struct UncheckedSink: Sink {
    let type: String

    func deliver(_ delivery: Delivery) async throws -> Commit {
        throw SinkError("stage type '\(type)' is not registered in this program")
    }
}
