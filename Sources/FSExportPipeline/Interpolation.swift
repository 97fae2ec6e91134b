import Yams

/// `${VAR}`, `${VAR:-default}` and `$$` (a literal `$`) in the string values of a pipeline file.
enum Interpolation {
    enum Undefined { case error, warning }

    /// Returns the node with every scalar value interpolated (keys are left as written).
    static func apply(_ node: Node, environment: [String: String], undefined: Undefined, session: DecodingSession) -> Node {
        switch node {
        case .scalar(let scalar):
            guard scalar.string.contains("$") else { return node }
            let text = expand(scalar.string, environment: environment) { name in
                session.unresolved.insert(DecodingSession.MarkKey(scalar.mark))
                let message = "environment variable \(name) is not set (write ${\(name):-default} to give a default)"
                undefined == .error ? session.error(message, at: scalar.mark) : session.warning(message, at: scalar.mark)
            }
            return .scalar(Node.Scalar(text, scalar.tag, scalar.style, scalar.mark))
        case .mapping(let mapping):
            let pairs = mapping.map { ($0.key, apply($0.value, environment: environment, undefined: undefined, session: session)) }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            let items = sequence.map { apply($0, environment: environment, undefined: undefined, session: session) }
            return .sequence(Node.Sequence(items, sequence.tag, sequence.style, sequence.mark))
        case .alias:
            return node
        }
    }

    static func expand(_ text: String, environment: [String: String], missing: (String) -> Void) -> String {
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.first == "$" {
                result += "$"
                rest = after.dropFirst()
            } else if after.first == "{", let close = after.firstIndex(of: "}") {
                let body = after[after.index(after: after.startIndex)..<close]
                let parts = body.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0])
                if let value = environment[name], !(parts.count > 1 && value.isEmpty) {
                    result += value
                } else if parts.count > 1 {
                    result += parts[1]
                } else {
                    missing(name)
                }
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }
}
