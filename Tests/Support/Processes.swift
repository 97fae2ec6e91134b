import Foundation

/// The ids of the processes whose command line is `command` (arguments joined by spaces), from /proc.
public func processes(running command: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.joined(separator: " ") == command ? pid : nil
    }
}
