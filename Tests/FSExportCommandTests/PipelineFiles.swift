import FSExportTestSupport

extension TemporaryFolder {
    /// A pipeline file whose one stage, `raw`, keeps each bundle as delivered (`{id}.json.gz`),
    /// below `root` when given: the command tests' everyday pipeline. `source` is the source's
    /// settings as YAML flow (`start: 0, settle: 0s`).
    func rawPipeline(_ name: String = "p.yml", source: String, root: String? = nil) throws -> String {
        try write(name, "source: {\(source)}\nstages:\n  raw: {type: files, inputs: [source], \(root.map { "root: \($0), " } ?? "")path: \"{id}.json.gz\"}\n")
    }
}
