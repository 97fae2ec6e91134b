import Foundation
import FSExportCore

/// `type: tar`: packs a bundle's files (upstream stages' files, or the bundle file itself) into
/// one archive per bundle, handed downstream. Entries are sorted by name and carry the bundle's
/// Stop as their time, so a re-run produces the same bytes.
public struct TarSink: ConfigurableSink {
    public static let type = "tar"

    public struct Options: Decodable, Sendable {
        /// Archive name template: {id} {start} {stop}. Default `{id}.tar` plus the compression's extension.
        public var name: String?
        /// pax (default) or ustar.
        public var format: String?
        /// none (default), gzip (on every core), bzip2, xz or zstd.
        public var compression: String?
        /// gzip 1–9 (default 6), bzip2 1–9, xz 0–9, zstd 1–19.
        public var compressionLevel: Int?

        enum CodingKeys: String, CodingKey {
            case name, format, compression
            case compressionLevel = "compression_level"
        }
    }

    let template: PathTemplate
    let format: TarWriter.Format
    let compression: TarWriter.Compression
    let compressionLevel: Int?

    public init(options: Options, context: SinkContext) throws {
        guard let format = TarWriter.Format(rawValue: options.format ?? "pax") else {
            throw SinkError(option: "format", "must be pax or ustar, not '\(options.format!)'")
        }
        guard let compression = TarWriter.Compression(rawValue: options.compression ?? "none") else {
            let names = TarWriter.Compression.allCases.map(\.rawValue)
            throw SinkError(option: "compression", "must be \(names.dropLast().joined(separator: ", ")) or \(names.last!), not '\(options.compression!)'")
        }
        self.format = format
        self.compression = compression
        compressionLevel = options.compressionLevel
        if let level = compressionLevel {
            guard let levels = compression.levels else { throw SinkError(option: "compression_level", "applies to a compressed archive") }
            guard levels.contains(level) else {
                throw SinkError(option: "compression_level", "must be \(levels.lowerBound) to \(levels.upperBound) for \(compression.rawValue), not \(level)")
            }
        }
        do {
            template = try PathTemplate(options.name ?? "{id}.tar\(compression.fileExtension)", allowed: [.id, .start, .stop])
        } catch { throw SinkError(option: "name", error) }
        try template.checkRelative(option: "name")
        if !context.hasDownstream {
            throw SinkError("the tar stage's archive goes nowhere: name it in the inputs of a files or command stage")
        }
    }

    public var reads: SinkReads { .files }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        var files: [Artifact] = []
        for try await file in delivery.input.files { files.append(file) }
        files.sort { $0.name < $1.name }
        for (first, second) in zip(files, files.dropFirst()) where first.name == second.name {
            throw SinkError("two input files of bundle \(delivery.bundle.id) are named '\(first.name)'; an archive cannot hold both, so the bundle fails (make the upstream stages' names differ)")
        }
        let name = archiveName(PathTemplate.Values(delivery.bundle))
        let path = try delivery.output.reserve(name)
        let writer = try TarWriter(root: delivery.output.root, relative: name, format: format, compression: compression, level: compressionLevel, mtime: delivery.bundle.stop)
        for file in files { try writer.add(name: file.name, contentsOf: file.path, size: file.byteCount) }
        try writer.close()
        let size = try FileSize.of(path)
        try await delivery.output.publish(Artifact(name: name, path: path, byteCount: size, content: .opaque))
        return .nothing
    }
}

extension TarSink: PlansOutput {
    public func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String] {
        [archiveName(PathTemplate.Values(bundle))]
    }

    /// The archive's name: the run and the dry run both name it here.
    func archiveName(_ values: PathTemplate.Values) -> String { template.render(values) }
}
