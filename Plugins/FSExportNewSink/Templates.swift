/// The files `fsexport-new-sink` writes. They build and their test passes as they are.
enum Templates {
    static func sink(name: String) -> String {
        let type = name.prefix(1).lowercased() + name.dropFirst()
        return """
            import FSExportCore

            /// `type: \(type.lowercased())`: writes each bundle's events as one NDJSON file for the next stage.
            /// Replace the body of `deliver` with what your sink does.
            public struct \(name)Sink: ConfigurableSink {
                public static let type = "\(type.lowercased())"

                /// The options a pipeline file gives this sink (snake_case keys through CodingKeys).
                public struct Options: Decodable, Sendable {
                    /// File name template: {id} {start} {stop}. Default `{id}.ndjson`.
                    public var name: String?
                }

                let name: PathTemplate

                public init(options: Options, context: SinkContext) throws {
                    do {
                        name = try PathTemplate(options.name ?? "{id}.ndjson", allowed: [.id, .start, .stop])
                    } catch {
                        throw SinkError(option: "name", error)
                    }
                }

                public func deliver(_ delivery: Delivery) async throws -> Commit {
                    let file = try delivery.output.makeFile(named: name.render(PathTemplate.Values(delivery.bundle)))
                    for try await batch in delivery.input.events {
                        try file.writeLines(batch)
                    }
                    try await delivery.output.publish(file)
                    return .nothing
                }
            }

            """
    }

    static func test(name: String, module: String) -> String {
        """
        import FSExportCore
        import FSExportSinkTesting
        import Foundation
        import Testing
        import \(module)

        @Suite("\(name)Sink")
        struct \(name)SinkTests {
            @Test("Each bundle becomes one file with one line per event")
            func deliversEveryEvent() async throws {
                let options = try JSONDecoder().decode(\(name)Sink.Options.self, from: Data("{}".utf8))
                let result = try await SinkHarness(sink: \(name)Sink(options: options, context: SinkHarness.context))
                    .deliver(bundles: 2, eventsPerBundle: 25)
                #expect(result.files.count == 2)
                #expect(result.files[0].name == "\\(result.bundles[0].id).ndjson")
                #expect(result.files[0].text.split(separator: "\\n").count == 25)
            }
        }

        """
    }
}
