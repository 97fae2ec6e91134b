import Yams

/// YAML aliases repeat a node wherever they appear, so a few hundred bytes of nested aliases (an
/// "alias bomb") stand for billions of values. The composed document shares the repeated nodes;
/// this counts what they expand to without expanding them, and refuses a file that expands
/// beyond what any pipeline needs, before anything walks it value by value.
enum AliasBudget {
    /// Values (scalars, mappings, sequences) a pipeline file may expand to. Real ones have hundreds.
    static let maximumValues = 100_000

    /// The number of values `node` expands to, counting a shared node once per use. Stops early
    /// once past `limit`.
    static func expandedCount(_ node: Node, limit: Int = maximumValues) -> Int {
        var memo: [Place: Int] = [:]
        return count(node, memo: &memo, limit: limit)
    }

    /// Checks the budget; on failure the diagnostic points at the first alias in the text.
    static func check(_ node: Node, text: String, session: DecodingSession) -> Bool {
        guard expandedCount(node) > maximumValues else { return true }
        let (line, column) = firstAlias(in: text) ?? (1, 1)
        session.error(
            "aliases expand this file to more than \(maximumValues) values (an alias bomb?); write the repeated settings out, or alias less",
            line: line, column: column)
        return false
    }

    /// A node's place in the text: an alias's copies keep their anchor's place, so a node that
    /// is used many times is counted once and remembered.
    private struct Place: Hashable {
        var line: Int
        var column: Int
        var isMapping: Bool
    }

    private static func count(_ node: Node, memo: inout [Place: Int], limit: Int) -> Int {
        switch node {
        case .scalar, .alias:
            return 1
        case .mapping(let mapping):
            return remembered(mapping.mark, isMapping: true, memo: &memo) { memo in
                mapping.reduce(1) { total, pair in
                    total > limit ? total : total + count(pair.key, memo: &memo, limit: limit) + count(pair.value, memo: &memo, limit: limit)
                }
            }
        case .sequence(let sequence):
            return remembered(sequence.mark, isMapping: false, memo: &memo) { memo in
                sequence.reduce(1) { total, item in total > limit ? total : total + count(item, memo: &memo, limit: limit) }
            }
        }
    }

    private static func remembered(_ mark: Mark?, isMapping: Bool, memo: inout [Place: Int], _ compute: (inout [Place: Int]) -> Int) -> Int {
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
