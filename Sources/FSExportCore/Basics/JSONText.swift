import Foundation

/// Text as a JSON string literal, for the few JSON lines fsexport writes by hand (log lines,
/// the external-sink protocol, `status --json`): any text, quotes, backslashes and control
/// characters included, comes out as valid JSON.
package enum JSONText {
    /// `say "hi"` → `"say \"hi\""`
    package static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
