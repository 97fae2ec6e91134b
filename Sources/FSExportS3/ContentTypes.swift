/// The media type an object gets from its name, when the stage does not set `content_type`.
enum ContentTypes {
    static func inferred(fromName name: String) -> String {
        let suffixes: [(String, String)] = [
            (".ndjson.gz", "application/gzip"), (".json.gz", "application/gzip"), (".tar.gz", "application/gzip"), (".tgz", "application/gzip"),
            (".gz", "application/gzip"), (".zst", "application/zstd"), (".tar", "application/x-tar"), (".ndjson", "application/x-ndjson"),
            (".jsonl", "application/x-ndjson"), (".json", "application/json"), (".csv", "text/csv"), (".txt", "text/plain"),
        ]
        return suffixes.first { name.hasSuffix($0.0) }?.1 ?? "application/octet-stream"
    }
}
