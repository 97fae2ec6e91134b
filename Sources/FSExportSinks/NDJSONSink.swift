import FSExportCore

/// `type: ndjson`: one event per line, in parts: split by a number of lines, a number of bytes,
/// and/or the value of a field (one series of parts per value). Parts are files for downstream stages.
public struct NDJSONSink: ConfigurableSink {
    public static let type = "ndjson"

    public struct Options: Decodable, Sendable {
        /// Part name template: {id} {start} {stop} {part} {value}. Default `{id}-{part}.ndjson`,
        /// or `{value}/{id}-{part}.ndjson` with split_by.
        public var name: String?
        public var maxLines: Int?
        public var maxBytes: Int?
        /// A top-level event field; each distinct value gets its own parts.
        public var splitBy: String?
        /// Parts kept open at once when splitting by a field (the least recently used is closed).
        public var maxOpenFiles: Int?
        /// `none`, `gzip` (standard gzip, on every core) or `zstd`.
        public var compression: OutputFile.Compression?
        /// gzip 1–9 (default 6), zstd 1–19 (default 3).
        public var compressionLevel: Int?

        enum CodingKeys: String, CodingKey {
            case name, compression
            case compressionLevel = "compression_level"
            case maxLines = "max_lines"
            case maxBytes = "max_bytes"
            case splitBy = "split_by"
            case maxOpenFiles = "max_open_files"
        }
    }

    let template: PathTemplate
    let maxLines: Int
    let maxBytes: Int
    let splitBy: String?
    let maxOpenFiles: Int
    let compression: OutputFile.Compression
    let compressionLevel: Int?

    public init(options: Options, context: SinkContext) throws {
        splitBy = options.splitBy
        maxLines = options.maxLines ?? .max
        maxBytes = options.maxBytes ?? .max
        maxOpenFiles = options.maxOpenFiles ?? 32
        compression = options.compression ?? .none
        compressionLevel = options.compressionLevel
        try compression.check(level: compressionLevel)
        guard maxLines > 0, maxBytes > 0, maxOpenFiles > 0 else {
            throw SinkError("max_lines, max_bytes and max_open_files must be above 0")
        }
        var name = options.name ?? (splitBy == nil ? "{id}-{part}.ndjson" : "{value}/{id}-{part}.ndjson")
        if !name.hasSuffix(compression.fileExtension) { name += compression.fileExtension }
        do { template = try PathTemplate(name, allowed: [.id, .start, .stop, .part, .value]) } catch { throw SinkError(option: "name", error) }
        try template.checkRelative(option: "name")
        if splitBy != nil, !template.uses(.value) {
            throw SinkError("name must contain {value} when split_by is set, or the parts of different values would collide")
        }
        if splitBy == nil, template.uses(.value) { throw SinkError("name uses {value}, which needs split_by") }
        if (options.maxLines != nil || options.maxBytes != nil || splitBy != nil), !template.uses(.part) {
            throw SinkError("name must contain {part} when parts are split by max_lines, max_bytes or split_by")
        }
        if !context.hasDownstream {
            throw SinkError("the ndjson stage's parts go nowhere: name it in the inputs of a files, tar or command stage")
        }
    }

    /// The part a value's lines go to now: its counts always, its file only while open.
    private final class Part {
        let name: String
        var file: OutputFile?
        var lines = 0
        var bytes = 0
        /// Events of the current batch bound for it, written together.
        var pending: [Int] = []
        init(name: String) { self.name = name }
    }

    /// Parts are published when full or when the bundle ends; a part whose file is closed to stay
    /// under `max_open_files` is reopened for appending when its value comes again (a new gzip
    /// member or zstd frame when compressed), so that the number of parts, and what is kept per
    /// part, follows the values and the limits, not the order of the events.
    public func deliver(_ delivery: Delivery) async throws -> Commit {
        var parts: [String: Part] = [:]
        var recency: [String] = []  // values whose part has its file open, least recently used first
        var nextPart: [String: Int] = [:]
        let output = delivery.output

        func closeFile(of part: Part, _ batch: EventBatch) throws {
            guard let file = part.file else { return }
            if !part.pending.isEmpty { try file.writeLines(batch, indices: part.pending) }
            part.pending.removeAll()
            try file.close()
            part.file = nil
        }

        func publish(_ key: String, _ batch: EventBatch?) async throws {
            guard let part = parts.removeValue(forKey: key) else { return }
            recency.removeAll { $0 == key }
            if let file = part.file {
                if let batch, !part.pending.isEmpty { try file.writeLines(batch, indices: part.pending) }
                part.pending.removeAll()
                part.file = nil
                try await output.publish(file)
            } else {
                try await output.publish(Artifact(name: part.name, path: output.root.fullPath(part.name), byteCount: try output.root.size(of: part.name)))
            }
        }

        var values = splitBy.map { FieldTexts(field: $0) }
        for try await batch in delivery.input.events {
            var touched: [Part] = []
            for index in 0..<batch.count {
                let key = values?.text(ofEventAt: index, in: batch) ?? ""
                let size = batch.ranges[index].count + 1
                if let full = parts[key], full.lines > 0, full.lines >= maxLines || full.bytes + size > maxBytes {
                    try await publish(key, batch)
                }
                let part: Part
                if let current = parts[key] {
                    part = current
                } else {
                    let number = nextPart[key, default: 1]
                    nextPart[key] = number + 1
                    part = Part(name: partName(PathTemplate.Values(delivery.bundle, part: number, value: splitBy == nil ? nil : key)))
                    parts[key] = part
                }
                if part.file == nil {
                    if recency.count >= maxOpenFiles, let oldest = recency.first, let evicted = parts[oldest] {
                        try closeFile(of: evicted, batch)
                        recency.removeFirst()
                    }
                    part.file =
                        part.lines == 0
                        ? try output.makeFile(named: part.name, compression: compression, level: compressionLevel)
                        : try OutputFile(root: output.root, relative: part.name, name: part.name, compression: compression, level: compressionLevel, appending: true)
                    recency.append(key)
                } else if recency.last != key {
                    recency.removeAll { $0 == key }
                    recency.append(key)
                }
                if part.pending.isEmpty { touched.append(part) }
                part.pending.append(index)
                part.lines += 1
                part.bytes += size
            }
            for part in touched where !part.pending.isEmpty {
                try part.file?.writeLines(batch, indices: part.pending)
                part.pending.removeAll(keepingCapacity: true)
            }
        }
        // Publish in name order, so that downstream stages see a stable sequence.
        for key in parts.keys.sorted() { try await publish(key, nil) }
        return .nothing
    }
}

extension NDJSONSink: ReadsField {
    public var fieldRead: String? { splitBy }
}

extension NDJSONSink: PlansOutput {
    /// Before decoding, the split values and the part numbers are unknown: they stay placeholders.
    public func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String] {
        var unknown: Set<PathTemplate.Placeholder> = splitBy == nil ? [] : [.value]
        if splitBy != nil || maxLines != .max || maxBytes != .max { unknown.insert(.part) }
        var values = PathTemplate.Values(bundle, unknown: unknown)
        values.part = 1
        return [partName(values)]
    }

    /// A part's name: the run and the dry run both name parts here.
    func partName(_ values: PathTemplate.Values) -> String { template.render(values) }
}
