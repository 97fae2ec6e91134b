import FSExportPipeline
import Testing

@Suite("Pipeline file validation")
struct ValidationTests {
    static func diagnostics(_ text: String, environment: [String: String] = [:], mode: Pipeline.Mode = .run) -> [Diagnostic] {
        do {
            _ = try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/nonexistent", environment: environment, mode: mode)
            return []
        } catch let error as PipelineFileError {
            return error.diagnostics
        } catch {
            return [Diagnostic(file: "?", line: 0, column: 0, severity: .error, message: "\(error)")]
        }
    }

    @Test("Every problem is reported at once, each at its line and column, with a did-you-mean")
    func everyErrorAtOnce() {
        let text = """
            source:
              start: 2024-01-01
              setle: 24h
            stages:
              raw:
                type: fles
                inputs: [source]
              parts:
                type: files
                inputs: [by_typ]
                pth: x/{name}
              by_type:
                type: ndjson
                inputs: [source]
                split_by: EventType
              a:
                type: files
                inputs: [b]
                path: "{id}"
              b:
                type: tar
                inputs: [a]
              out:
                type: files
                inputs: [source]
                path: "{start:%Y}/{nmae}.gz"
                max_lines: ten
            extra: 1
            """
        let found = Self.diagnostics(text).map { "\($0.line):\($0.column): \($0.message)" }
        let expected = [
            "3:3: unknown key 'setle'; did you mean 'settle'?",
            "6:11: unknown stage type 'fles'; did you mean 'files'?",
            "10:14: stage 'parts' reads 'by_typ', which is not a stage; did you mean 'by_type'?",
            "16:3: stages form a cycle",
            "26:23: stage 'out': path: unknown placeholder {nmae}",
            "28:1: unknown top-level key 'extra'",
        ]
        for prefix in expected {
            #expect(found.contains { $0.hasPrefix(prefix) }, "missing \(prefix) in \(found)")
        }
        #expect(found.contains { $0.hasPrefix("9:5: ") && $0.contains("missing required key 'path'") && $0.contains("did you mean 'pth'") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("12:3: ") && $0.contains("go nowhere") }, "\(found)")
        #expect(found.count >= expected.count + 1)
    }

    @Test("s3 options are checked where they are written, before anything runs (and without credentials)")
    func s3Options() {
        let text = """
            source: {start: 0}
            stages:
              bad_names:
                type: s3
                inputs: [source]
                bucket: My_Bucket
                key: /abs/{id}
              bad_sizes:
                type: s3
                inputs: [source]
                bucket: logs
                key: "{nme}"
                part_size: 1MiB
                concurrency: 0
              bad_choices:
                type: s3
                inputs: [source]
                bucket: logs.example
                key: "x/{id}.json.gz"
                storage_class: COLD
                server_side_encryption: aws:kms2
                endpoint: ftp://store
              kms:
                type: s3
                inputs: [source]
                bucket: logs
                key: "k/{id}"
                kms_key_id: abc
                server_side_encryption: AES256
            """
        let found = Self.diagnostics(text).map { "\($0.line):\($0.column): \($0.message)" }
        let expected = [
            "6:13: stage 'bad_names': bucket: 'My_Bucket' is not a bucket name",
            "12:11: stage 'bad_sizes': key: unknown placeholder {nme}",
            "21:29: server_side_encryption must be AES256 or aws:kms, not 'aws:kms2'; did you mean 'aws:kms'?",
            "28:17: stage 'kms': kms_key_id: applies to server_side_encryption: aws:kms",
        ]
        for prefix in expected {
            #expect(found.contains { $0.hasPrefix(prefix) }, "missing \(prefix) in \(found)")
        }
        #expect(found.count == 4, "\(found)")

        let fixed = Self.diagnostics(text.replacingOccurrences(of: "My_Bucket", with: "my-bucket"))
            .map { "\($0.line):\($0.column): \($0.message)" }
        #expect(fixed.contains { $0.hasPrefix("7:10: stage 'bad_names': key: '/abs/{id}' is absolute") }, "\(fixed)")
        let sizes = Self.diagnostics(text.replacingOccurrences(of: "{nme}", with: "k/{name}")).map(\.message)
        #expect(sizes.contains { $0.contains("part_size: must be between 5MiB and 5GiB") }, "\(sizes)")
        let choices = Self.diagnostics(text.replacingOccurrences(of: "aws:kms2", with: "aws:kms")).map(\.message)
        #expect(choices.contains { $0.contains("endpoint: 'ftp://store' is not an endpoint such as https://") }, "\(choices)")
        let unowned = Self.diagnostics(text.replacingOccurrences(of: "k/{id}", with: "{id}.json.gz")).map(\.message)
        #expect(unowned.contains { $0.contains("stage 'kms': key: '{id}.json.gz' must start with a fixed prefix that this stage owns, such as fullstory/{id}.json.gz") }, "\(unowned)")
        let storageClass = Self.diagnostics(text.replacingOccurrences(of: "aws:kms2", with: "aws:kms").replacingOccurrences(of: "ftp://", with: "http://"))
            .map(\.message)
        #expect(storageClass.contains { $0.contains("storage_class: 'COLD' is not one of STANDARD") }, "\(storageClass)")
    }

    @Test("compression_level is checked against its compression")
    func compressionLevels() {
        let text = """
            source: {start: 0}
            stages:
              a: {type: files, inputs: [source], format: ndjson, compression: gzip, compression_level: 10, path: "a/{id}"}
              b: {type: files, inputs: [source], format: ndjson, compression_level: 3, path: "b/{id}"}
              c: {type: ndjson, inputs: [source], compression: zstd, compression_level: 20}
              d: {type: files, inputs: [c], path: "d/{name}"}
              e: {type: tar, inputs: [source], compression: xz, compression_level: -1}
              f: {type: files, inputs: [e], path: "f/{name}"}
            """
        let found = Self.diagnostics(text).map(\.message)
        #expect(found.contains { $0.contains("stage 'a': compression_level: must be 1 to 9 for gzip, not 10") }, "\(found)")
        #expect(found.contains { $0.contains("stage 'b': compression_level: applies to gzip or zstd compression") }, "\(found)")
        #expect(found.contains { $0.contains("stage 'c': compression_level: must be 1 to 19 for zstd, not 20") }, "\(found)")
        #expect(found.contains { $0.contains("stage 'e': compression_level: must be 0 to 9 for xz, not -1") }, "\(found)")
        #expect(found.count == 4, "\(found)")
    }

    @Test("A stage whose files go nowhere is an error")
    func outputGoesNowhere() {
        let text = """
            source: {start: 0}
            stages:
              parts:
                type: ndjson
                inputs: [source]
            """
        let found = Self.diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("go nowhere") == true)
        #expect(found.first?.line == 3)
    }

    @Test("Wrong types name the key and the value")
    func wrongTypes() {
        let text = """
            source:
              start: 0
              rate_limit: {burst: lots}
            stages:
              parts:
                type: ndjson
                inputs: [source]
                max_lines: 1e9x
              out: {type: files, inputs: [parts], path: "{name}"}
            """
        let found = Self.diagnostics(text).map { "\($0.line):\($0.column): \($0.message)" }
        #expect(found.contains { $0.hasPrefix("3:23:") && $0.contains("whole number") && $0.contains("lots") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("8:16:") && $0.contains("max_lines") && $0.contains("1e9x") }, "\(found)")
    }

    @Test("${VAR}, ${VAR:-default} and $$ are interpolated; an unset variable is an error when running and when validating, a warning only at build time")
    func interpolation() throws {
        let text = """
            source:
              start: ${START}
              api_key: ${KEY:-fallback}
              base_url: "http://host/$${literal}"
            stages:
              out: {type: files, inputs: [source], path: "${PREFIX}/{id}.gz"}
            """
        let pipeline = try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/tmp", environment: ["START": "2024-01-01", "PREFIX": "raw"])
        #expect(pipeline.source.start == "2024-01-01")
        #expect(pipeline.source.apiKey == "fallback")
        #expect(pipeline.source.baseURL == "http://host/${literal}")
        let errors = Self.diagnostics(text, environment: [:])
        #expect(errors.contains { $0.line == 2 && $0.message.contains("START is not set") })
        #expect(throws: PipelineFileError.self) {
            try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/tmp", environment: [:], mode: .validate)
        }
        let warnings = try Pipeline.load(text: text, file: "p.yml", baseDirectory: "/tmp", environment: [:], mode: .validateAllowingUnknownTypes).warnings
        #expect(warnings.count == 2)
    }

    @Test("A variable holding a secret interpolated anywhere but source.api_key or an environment: value is an error at its line and column")
    func secretInterpolation() {
        let key = "na1.the-real-key/0123456789"
        let environment = ["FULLSTORY_API_KEY": key, "MY_FS_KEY": key, "COPY": "Basic \(key)", "HARMLESS": "out", "AWS_SECRET_ACCESS_KEY": "aws-secret-0123456789"]
        let text = """
            source: {start: 0, api_key: "${MY_FS_KEY}"}
            stages:
              args: {type: command, inputs: [source], command: [curl, -H, "Authorization: Basic ${FULLSTORY_API_KEY}"]}
              shell: {type: command, inputs: [source], shell: 'echo ${COPY} >/dev/null'}
              files: {type: files, inputs: [source], root: "${HARMLESS}", path: "${MY_FS_KEY}/{id}.json.gz"}
              folder: {type: command, inputs: [source], shell: 'cat', working_directory: "/tmp/${AWS_SECRET_ACCESS_KEY}"}
              fine: {type: command, inputs: [source], shell: 'cat >/dev/null', environment: {TOKEN: "${FULLSTORY_API_KEY}", OTHER: "${COPY}"}}
            """
        let found = Self.diagnostics(text, environment: environment, mode: .validate).filter { $0.message.contains("holds a secret") }
        #expect(found.map { "\($0.line):\($0.column)" } == ["3:85", "4:57", "5:70", "6:84"], "\(found)")
        #expect(found.allSatisfy { !$0.description.contains("0123456789") })
        #expect(found.first?.message.contains("stages.args.command.[]") == true, "\(found)")
    }

    @Test("A key written in the pipeline file never prints")
    func keyRedacted() throws {
        let pipeline = try Pipeline.load(
            text: "source: {api_key: 'literal-SECRET-key'}\nstages:\n  raw: {type: files, inputs: [source], path: x}\n",
            file: "p.yml", baseDirectory: "/tmp", environment: [:])
        var dumped = ""
        dump(pipeline.source, to: &dumped)
        #expect(!dumped.contains("literal-SECRET-key"))
        #expect(!"\(pipeline.source)".contains("literal-SECRET-key"))
        #expect(try pipeline.clientConfiguration().apiKey.secret == "literal-SECRET-key")
    }

    @Test("JSON is accepted as well")
    func json() throws {
        let text = #"{"source": {"start": "-7d", "settle": "0s"}, "stages": {"raw": {"type": "files", "inputs": ["source"], "path": "{id}.json.gz"}}}"#
        let pipeline = try Pipeline.load(text: text, file: "p.json", baseDirectory: "/tmp", environment: [:])
        #expect(pipeline.stages.map(\.name) == ["raw"])
    }

    @Test("Invalid YAML points at the problem")
    func invalidYAML() {
        let found = Self.diagnostics("source:\n  start: [1, 2\nstages: {}\n")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("invalid YAML") == true)
        #expect((found.first?.line ?? 0) >= 2)
    }

    @Test("A line indented too far is said in words first, libyaml's text after", arguments: [
        ("source:\n  start: 0\n   settle: 1h\nstages: {}\n", "indented more than the key before it", "mapping values are not allowed in this context"),
        ("source:\n    start: 0\n  settle: 1h\nstages: {}\n", "indented less than the keys before it", "did not find expected key"),
    ])
    func indentation(text: String, words: String, libyaml: String) {
        let found = Self.diagnostics(text)
        #expect(found.count == 1 && found.first?.line == 3, "\(found)")
        let message = found.first?.message ?? ""
        #expect(message.hasPrefix("invalid YAML: this line is \(words)") && message.contains("(libyaml: ") && message.contains(libyaml), "\(message)")
    }

    @Test("A value outside a fixed set names the choices and the likely one; a bad value does not make its neighbours unknown keys")
    func choicesAndNeighbours() {
        let messages = Self.diagnostics("""
            source:
              start: 0
              rate_limit: {burst: abc, per_minute: 3}
            stages:
              a: {type: ndjson, inputs: [source], compression: zip}
              b: {type: files, inputs: [a], path: "x/{name}", if_exists: overwite}
              c: {type: tar, inputs: [a], format: paxx}
              d: {type: files, inputs: [c], path: "{name}"}
            """, mode: .validate).map(\.message)
        #expect(messages.contains("compression must be none, gzip or zstd, not 'zip'; did you mean 'gzip'?"), "\(messages)")
        #expect(messages.contains("if_exists must be overwrite, skip or error, not 'overwite'; did you mean 'overwrite'?"))
        #expect(messages.contains("stage 'c': format: must be pax or ustar, not 'paxx'"), "\(messages)")
        #expect(messages.contains { $0.contains("burst") && $0.contains("whole number") })
        #expect(!messages.contains { $0.contains("per_minute") }, "\(messages)")
        #expect(!messages.contains { $0.contains("Cannot initialize") })
    }

    @Test("Suggestions catch swapped neighbours: strat → start, fsnyc → fsync")
    func transpositions() {
        let messages = Self.diagnostics("source: {strat: 0}\nstages:\n  raw: {type: files, inputs: [source], path: x, fsnyc: true}\n", mode: .validate).map(\.message)
        #expect(messages.contains("unknown key 'strat'; did you mean 'start'?"), "\(messages)")
        #expect(messages.contains { $0.contains("'fsnyc'") && $0.contains("did you mean 'fsync'?") }, "\(messages)")
    }
}
