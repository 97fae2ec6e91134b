import FSExportCore
import Yams

/// `${VAR}`, `${VAR:-default}` and `$$` (a literal `$`) in the string values of a pipeline file.
///
/// A variable that holds a secret may be interpolated in two places only: `source.api_key`, and a
/// stage's `environment:` values (which reach the program in its environment). Anywhere else it
/// would show in `ps` (arguments), on disk (a path) or in an error message, so it is an error at
/// its line and column.
enum Interpolation {
    enum Undefined { case error, warning }

    /// Returns the node with every scalar value interpolated (keys are left as written).
    static func apply(_ node: Node, environment: [String: String], undefined: Undefined, session: DecodingSession) -> Node {
        apply(node, path: [], environment: environment, secrets: secretVariables(in: node, environment: environment), undefined: undefined, session: session)
    }

    private static func apply(
        _ node: Node, path: [String], environment: [String: String], secrets: Set<String>, undefined: Undefined, session: DecodingSession
    ) -> Node {
        switch node {
        case .scalar(let scalar):
            guard scalar.string.contains("$") else { return node }
            let text = expand(scalar.string, environment: environment) { name in
                session.unresolved.insert(DecodingSession.MarkKey(scalar.mark))
                let message = "environment variable \(name) is not set (write ${\(name):-default} to give a default)"
                undefined == .error ? session.error(message, at: scalar.mark) : session.warning(message, at: scalar.mark)
            } used: { name, offset in
                guard secrets.contains(name), !mayHoldSecret(path) else { return }
                let place = StageBuilder.position(of: node, offset: offset) ?? StageBuilder.position(of: scalar.mark)
                session.error(
                    "${\(name)} holds a secret; in \(path.joined(separator: ".")) it would show in ps, on disk or in error messages: "
                        + "hand it to a program through its environment: (environment: {NAME: ${\(name)}}) instead", line: place.line, column: place.column)
            }
            return .scalar(Node.Scalar(text, scalar.tag, scalar.style, scalar.mark))
        case .mapping(let mapping):
            let pairs = mapping.map {
                ($0.key, apply($0.value, path: path + [$0.key.string ?? "?"], environment: environment, secrets: secrets, undefined: undefined, session: session))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            let items = sequence.map { apply($0, path: path + ["[]"], environment: environment, secrets: secrets, undefined: undefined, session: session) }
            return .sequence(Node.Sequence(items, sequence.tag, sequence.style, sequence.mark))
        case .alias:
            return node
        }
    }

    /// Where a secret may be interpolated: the source's key, and a stage's environment values.
    private static func mayHoldSecret(_ path: [String]) -> Bool {
        path == ["source", "api_key"] || (path.count == 4 && path[0] == "stages" && path[2] == "environment")
    }

    /// Variables whose values are secrets by name.
    static let secretNames: Set<String> = ["FULLSTORY_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PGPASSWORD"]

    /// The variables that hold a secret: those named as such, those `source.api_key` names, and
    /// any whose value holds the value of one of them or a secret this process has loaded (a key
    /// file's key, say).
    static func secretVariables(in document: Node, environment: [String: String]) -> Set<String> {
        var names = secretNames
        if let key = document["source"]?["api_key"]?.string {
            _ = expand(key, environment: environment, missing: { _ in }, used: { name, _ in names.insert(name) })
        }
        let values = names.compactMap { environment[$0] }.filter { $0.count >= 8 }
        for (name, value) in environment where values.contains(where: value.contains) || Secrets.contains(in: value) {
            names.insert(name)
        }
        return names
    }

    /// `used` gets each variable named, and the offset (in characters) of its `$` in `text`.
    static func expand(
        _ text: String, environment: [String: String], missing: (String) -> Void, used: (_ name: String, _ offset: Int) -> Void = { _, _ in }
    ) -> String {
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
                used(name, text.distance(from: text.startIndex, to: dollar))
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
