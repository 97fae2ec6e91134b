import FSExportZlib
@testable import FSExportCore
import Foundation

/// A file holding `text`, gzip-compressed when asked, removed by the caller.
func temporaryFile(_ text: String, gzip: Bool = false) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-core-\(UUID().uuidString)").path
    var bytes = Array(text.utf8)
    if gzip {
        var compressed: [UInt8] = []
        let deflater = try Deflater(level: 6)
        try bytes.withUnsafeBytes { try deflater.deflate($0) { compressed.append(contentsOf: $0) } }
        try deflater.finish { compressed.append(contentsOf: $0) }
        bytes = compressed
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

extension BundleDecoder {
    /// Every batch, in order.
    func batches() async throws -> [EventBatch] {
        var batches: [EventBatch] = []
        try await decode { batches.append($0) }
        return batches
    }

    /// Every event's JSON text, in order.
    func eventTexts() async throws -> [String] {
        try await batches().flatMap { $0.events.map(\.json) }
    }
}
