import Yams

/// YAML aliases repeat a node wherever they appear, so a few hundred bytes of nested aliases (an
/// "alias bomb") stand for billions of values, and one long string used many times for gigabytes.
/// The composed document shares the repeated nodes; this measures what they expand to, in values
/// and in bytes of text, without expanding them, and refuses a file that expands beyond what any
/// pipeline needs, before anything walks it value by value.
enum AliasBudget {
    /// Values (scalars, mappings, sequences) a pipeline file may expand to. Real ones have hundreds.
    static let maximumValues = 100_000
    /// Bytes of text its values may expand to. Real ones have a few KiB.
    static let maximumBytes = 4 << 20

    /// What a node expands to.
    struct Size: Equatable {
        var values = 0
        var bytes = 0

        static func + (a: Size, b: Size) -> Size { Size(values: a.values + b.values, bytes: a.bytes + b.bytes) }
        var isOverBudget: Bool { values > AliasBudget.maximumValues || bytes > AliasBudget.maximumBytes }
    }

    /// What `node` expands to, counting a shared node once per use. Stops early once over budget.
    static func expandedSize(_ node: Node) -> Size {
        var memo: [Place: Size] = [:]
        return size(node, memo: &memo)
    }

    /// Checks the budget; on failure the diagnostic points at the first alias in the text.
    static func check(_ node: Node, text: String, session: DecodingSession) -> Bool {
        let size = expandedSize(node)
        guard size.isOverBudget else { return true }
        let (line, column) = firstAlias(in: text) ?? (1, 1)
        let what = size.values > maximumValues ? "more than \(maximumValues) values" : "more than \(maximumBytes >> 20) MiB of text"
        session.error(
            "aliases expand this file to \(what) (an alias bomb?); write the repeated settings out, or alias less",
            line: line, column: column)
        return false
    }

    /// A node's place in the text: an alias's copies keep their anchor's place, so a node that
    /// is used many times is measured once and remembered.
    private struct Place: Hashable {
        var line: Int
        var column: Int
        var isMapping: Bool
    }

    private static func size(_ node: Node, memo: inout [Place: Size]) -> Size {
        switch node {
        case .scalar(let scalar):
            return Size(values: 1, bytes: scalar.string.utf8.count)
        case .alias:
            return Size(values: 1, bytes: 0)
        case .mapping(let mapping):
            return remembered(mapping.mark, isMapping: true, memo: &memo) { memo in
                mapping.reduce(Size(values: 1)) { total, pair in
                    total.isOverBudget ? total : total + size(pair.key, memo: &memo) + size(pair.value, memo: &memo)
                }
            }
        case .sequence(let sequence):
            return remembered(sequence.mark, isMapping: false, memo: &memo) { memo in
                sequence.reduce(Size(values: 1)) { total, item in total.isOverBudget ? total : total + size(item, memo: &memo) }
            }
        }
    }

    private static func remembered(_ mark: Mark?, isMapping: Bool, memo: inout [Place: Size], _ compute: (inout [Place: Size]) -> Size) -> Size {
        guard let mark else { return compute(&memo) }
        let place = Place(line: mark.line, column: mark.column, isMapping: isMapping)
        if let known = memo[place] { return known }
        let result = compute(&memo)
        memo[place] = result
        return result
    }

    /// Line and column (1-based) of the first `*alias` outside quotes and comments.
    static func firstAlias(in text: String) -> (Int, Int)? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var quote: Character?
            var previous: Character = " "
            for (offset, character) in line.enumerated() {
                if let open = quote {
                    if character == open { quote = nil }
                } else if character == "\"" || character == "'" {
                    quote = character
                } else if character == "#", previous == " " {
                    break
                } else if character == "*", " [{,:-".contains(previous) || offset == 0 {
                    return (index + 1, offset + 1)
                }
                previous = character
            }
        }
        return nil
    }
}
