import Foundation
import FSExportCore
import SystemPackage

/// `type: files`: writes each bundle (as delivered, as JSON, or as NDJSON) or each file an
/// upstream stage produced, under a root folder, by a path template. Output appears atomically at
/// commit: written under `.fsexport-tmp` in the root, then renamed into place.
public struct FilesSink: ConfigurableSink {
    public static let type = "files"

    public enum Format: String, Decodable, Sendable, CaseIterable {
        /// The bytes as they come: the bundle's gzip, or upstream files unchanged.
        case raw
        /// The bundle's JSON document, inflated.
        case json
        /// One event per line.
        case ndjson
    }

    /// What to do when a file is already where a bundle's file goes.
    public enum ExistingFile: String, Decodable, Sendable, CaseIterable {
        /// Replace it (a re-run converges on the same output).
        case overwrite
        /// Keep it, and deliver nothing there.
        case skip
        /// Fail the bundle, unless the file holds the very bytes this bundle would write.
        case error
    }

    public struct Options: Decodable, Sendable {
        /// Path template below `root`, e.g. `raw/{start:%Y/%m/%d}/{id}.json.gz`.
        public var path: String
        /// Folder the paths are relative to; relative to the pipeline file. Default: its folder.
        public var root: String?
        public var format: Format?
        /// Compression of `json` and `ndjson` output: `none`, `gzip` (on every core) or `zstd`.
        public var compression: OutputFile.Compression?
        /// gzip 1–9 (default 6), zstd 1–19 (default 3).
        public var compressionLevel: Int?
        /// Default: overwrite.
        public var ifExists: ExistingFile?
        /// fsync each file and its folder at commit.
        public var fsync: Bool?

        enum CodingKeys: String, CodingKey {
            case path, root, format, compression, fsync
            case ifExists = "if_exists"
            case compressionLevel = "compression_level"
        }
    }

    let template: PathTemplate
    let root: ConfinedRoot
    let format: Format
    let compression: OutputFile.Compression
    let compressionLevel: Int?
    let ifExists: ExistingFile
    let sync: Bool
    let stage: String

    public init(options: Options, context: SinkContext) throws {
        format = options.format ?? .raw
        compression = options.compression ?? .none
        compressionLevel = options.compressionLevel
        try compression.check(level: compressionLevel)
        ifExists = options.ifExists ?? .overwrite
        sync = options.fsync ?? false
        stage = context.stage
        var allowed: Set<PathTemplate.Placeholder> = [.id, .start, .stop]
        if format == .raw { allowed.insert(.name) }
        do { template = try PathTemplate(options.path, allowed: allowed) } catch { throw SinkError(option: "path", error) }
        try template.checkRelative(option: "path")
        if format != .raw, !context.readsSource {
            throw SinkError("format \(format.rawValue) turns the bundle's events into a file; it needs 'inputs: [source]'")
        }
        if format == .raw, compression != .none {
            throw SinkError("compression applies to format json or ndjson; raw files are written as they come")
        }
        root = ConfinedRoot(context.resolve(options.root ?? "."))
    }

    public var reads: SinkReads { format == .ndjson ? .events : .files }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        // Staged in the root (so that commit is a rename), in folders that are fsexport's own.
        // Everything below the root is reached through the confined root: no symbolic link there
        // is followed, for staging, for the folders a path template makes, or for the files.
        let staging = "\(Self.stagingFolder)/\(stage)/\(delivery.bundle.id)"
        try root.remove(staging)  // left by an interrupted run
        try root.makeFolders(staging)
        var planned: [(temporary: String, target: String)] = []
        var targets: Set<String> = []
        var madeFolders: [String] = []  // removed again if empty when the bundle is not committed

        func place(_ relative: String, write: (String) async throws -> Void) async throws {
            let target = try checked(relative)
            guard targets.insert(target).inserted else {
                throw SinkError("two files of bundle \(delivery.bundle.id) map to \(relative): add {name} to the path template")
            }
            if let slash = target.lastIndex(of: "/") { madeFolders += try root.makeFolders(String(target[..<slash])) }
            let existing = root.kind(of: target)
            guard existing != .symbolicLink else { throw SinkError("\(root.fullPath(target)) is a symbolic link; fsexport does not write through links") }
            if existing != nil, ifExists == .skip { return }
            let temporary = "\(staging)/\(planned.count)"
            try await write(temporary)
            if existing != nil, ifExists == .error {
                // The same bytes are this bundle delivered before (by a run that crashed before its
                // checkpoint): nothing to replace. Other bytes are a conflict to resolve by hand.
                guard try sameContents(temporary, target) else {
                    throw SinkError("\(root.fullPath(target)) already exists with other contents (if_exists: error); move it away, or choose if_exists: overwrite or skip")
                }
                try root.remove(temporary)
                return
            }
            planned.append((temporary, target))
        }

        do {
            let values = PathTemplate.Values(delivery.bundle)
            switch format {
            case .ndjson:
                try await place(relativePath(values)) { temporary in
                    let file = try OutputFile(root: root, relative: temporary, compression: compression, level: compressionLevel)
                    for try await batch in delivery.input.events { try file.writeLines(batch) }
                    try file.close(sync: sync)
                }
            case .json:
                for try await artifact in delivery.input.files {
                    var named = values
                    named.name = artifact.name
                    try await place(relativePath(named)) { temporary in
                        let file = try OutputFile(root: root, relative: temporary, compression: compression, level: compressionLevel)
                        try DownloadedBundle(id: delivery.bundle.id, path: artifact.path, encoding: delivery.bundle.encoding, byteCount: artifact.byteCount)
                            .readDecoded { try file.write($0) }
                        try file.close(sync: sync)
                    }
                }
            case .raw:
                for try await artifact in delivery.input.files {
                    var named = values
                    named.name = artifact.name
                    try await place(relativePath(named)) { temporary in try root.linkOrCopy(from: artifact.path, to: temporary) }
                }
            }
        } catch {
            Self.discard(staging, root: root, madeFolders: madeFolders)
            throw error
        }
        let moves = planned
        let folders = madeFolders
        return Commit(
            commit: { [root, sync, ifExists] in
                for (temporary, target) in moves {
                    if ifExists == .error {
                        try root.link(temporary, to: target)
                        try root.remove(temporary)
                    } else {
                        try root.rename(temporary, to: target)
                    }
                    if sync { root.syncFolder(of: target) }
                }
                Self.removeStaging(staging, root: root)
            },
            abort: { [root] in Self.discard(staging, root: root, madeFolders: folders) })
    }

    /// Where a file goes below the root: the run and the dry run both name files here.
    func relativePath(_ values: PathTemplate.Values) -> String { template.render(values) }

    /// A rendered path, checked to stay below the root.
    private func checked(_ relative: String) throws -> String {
        guard !relative.hasPrefix("/") else { throw SinkError("'\(relative)' is an absolute path; paths are relative to the root \(root)") }
        do { try Artifact.validate(name: relative) } catch { throw SinkError("'\(relative)' would leave the root \(root): \(error)") }
        return relative
    }

    /// Where files wait for commit, in the root.
    static let stagingFolder = ".fsexport-tmp"

    private static func removeStaging(_ staging: String, root: ConfinedRoot) {
        try? root.remove(staging)
        root.removeEmptyFolders(ConfinedRoot.folders(of: staging))  // leave no empty scaffolding in the user's tree
    }

    /// A bundle that is not committed: its staged files go, and the folders made for it where empty.
    private static func discard(_ staging: String, root: ConfinedRoot, madeFolders: [String]) {
        removeStaging(staging, root: root)
        root.removeEmptyFolders(madeFolders)
    }

    /// Whether two files below the root hold the same bytes, read a piece at a time (they may be gigabytes).
    private func sameContents(_ first: String, _ second: String) throws -> Bool {
        let a = try root.open(first, .readOnly)
        defer { try? a.close() }
        let b = try root.open(second, .readOnly)
        defer { try? b.close() }
        var left = [UInt8](repeating: 0, count: 256 << 10)
        var right = left
        while true {
            let count = try FileSystemError.naming("read", root.fullPath(first)) { try left.withUnsafeMutableBytes { try a.read(into: $0) } }
            var filled = 0
            while filled < count {
                let more = try FileSystemError.naming("read", root.fullPath(second)) {
                    try right.withUnsafeMutableBytes { try b.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled..<count])) }
                }
                if more == 0 { return false }
                filled += more
            }
            if count == 0 { return try FileSystemError.naming("read", root.fullPath(second)) { try right.withUnsafeMutableBytes { try b.read(into: $0) } } == 0 }
            if left[..<count] != right[..<count] { return false }
        }
    }
}

extension FilesSink: PlansOutput {
    public func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String] {
        let names: [String?] = format == .ndjson ? [nil] : inputs.map { $0 }
        return names.map { root.fullPath(relativePath(PathTemplate.Values(bundle, plannedName: $0))) }
    }
}
