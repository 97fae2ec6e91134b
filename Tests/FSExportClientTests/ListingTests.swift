import FSExportSimulatedData
import Foundation
import FSExportCore
import FSExportSimulator
import FSExportTestSupport
import Testing

@testable import FSExportClient
import FSExportHTTP

@Suite("Listing bundles")
struct ListingTests {
    @Test("45 bundles come back in order, without duplicates, over three pages that overlap at their last Stop")
    func pagesThroughAllBundles() async throws {
        try await withSimulator { simulator in
            let client = try makeClient(simulator)
            var bundles: [ExportBundle] = []
            for try await bundle in client.bundles(from: 0) { bundles.append(bundle) }

            let expected = simulator.configuration.dataset.bundles.map { ExportBundle(id: $0.id, start: $0.start, stop: $0.stop) }
            #expect(bundles == expected)
            #expect(Set(bundles.map(\.id)).count == 45)
            let starts = await simulator.requests.filter { $0.endpoint == .list }.map(\.parameter)
            // Each page starts just before the last one's highest Stop (20 bundles, then 19 new and
            // 6 new), then one call brings nothing new.
            #expect(starts == ["0", "\(expected[19].stop - 1)", "\(expected[38].stop - 1)", "\(expected[44].stop - 1)"])
        }
    }

    /// Bundles sharing Stops, served as the API serves them: the first 20 whose Stop is after `start`.
    static func sharedStops(_ groups: [(stop: Int64, count: Int)]) -> [ScriptedBundle] {
        var id: Int64 = 1_000
        return groups.flatMap { group in
            (0..<group.count).map { _ in
                id += 1
                return ScriptedBundle(id: id, start: group.stop - 1800, stop: group.stop, events: ["{}"])
            }
        }
    }

    static func list(_ bundles: [ScriptedBundle]) async throws -> [Int64] {
        let server = try ScriptedExportAPI.server(bundles)
        let client = ExportClient(configuration: ExportClientConfiguration(apiKey: try APIKey("scripted-key"), baseURL: server.baseURL, rateLimit: .unlimited))
        var ids: [Int64] = []
        for try await bundle in client.bundles(from: 0) { ids.append(bundle.id) }
        return ids
    }

    @Test("A page that ends inside a Stop loses none of the bundles that share it", arguments: [[19, 6], [19, 1, 19], [1, 19, 1, 19, 1], [10, 10, 10, 10], [5]])
    func pageBoundaryInsideAStop(_ counts: [Int]) async throws {
        let bundles = Self.sharedStops(counts.enumerated().map { (stop: 1_704_067_200 + Int64($0.offset + 1) * 1800, count: $0.element) })
        let listed = try await Self.list(bundles)
        #expect(listed == bundles.map(\.id))
    }

    @Test("A page's worth of bundles sharing one Stop (there may be more) is a data error, never a silent skip", arguments: [20, 21, 25, 40])
    func tooManyAtOneStop(_ count: Int) async throws {
        let bundles = Self.sharedStops([(1_704_067_200, 2), (1_704_069_000, count), (1_704_070_800, 3)])
        let error = await #expect(throws: ExportError.self) { _ = try await Self.list(bundles) }
        guard case .invalidResponse(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("a page's worth of bundles share that Stop"), "\(message)")
    }

    @Test("An answer that repeats a key is a data error, never read one decoder's way", arguments: [
        #"{"exports":[],"exports":[{"Id":170406720048,"Start":1704067200,"Stop":1704153600}]}"#,
        #"{"exports":[{"Id":170406720048,"Start":1704067200,"Stop":1704153600,"Stop":1804153600}]}"#,
    ])
    func repeatedKeys(_ body: String) async throws {
        let server = try ScriptedServer { _ in .json(body) }
        let client = ExportClient(configuration: ExportClientConfiguration(apiKey: try APIKey("scripted-key"), baseURL: server.baseURL, rateLimit: .unlimited))
        let error = await #expect(throws: ExportError.self) { _ = try await client.listPage(start: 0) }
        guard case .invalidResponse(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("twice in one object"), "\(message)")
    }

    @Test("Listing stops at the first bundle after --until")
    func untilBoundsTheListing() async throws {
        try await withSimulator { simulator in
            let client = try makeClient(simulator)
            let all = simulator.configuration.dataset.bundles
            var ids: [Int64] = []
            for try await bundle in client.bundles(from: all[2].stop, until: all[9].stop) { ids.append(bundle.id) }
            #expect(ids == all[3...9].map(\.id))
        }
    }

    @Test("POST sends the parameter as a JSON body")
    func postMethod() async throws {
        try await withSimulator { simulator in
            let client = try makeClient(simulator, method: .post)
            let page = try await client.listPage(start: 0)
            #expect(page.count == 20)
            let record = try #require(await simulator.requests.first)
            #expect(record.method == "POST")
            #expect(record.parameter == "0")
        }
    }

    @Test("The documentation's own example parses: trailing comma, ID key")
    func documentationExample() throws {
        let example = """
            {"exports": [{
             "Start": 1447984800,
             "Stop": 1448071200,
             "ID": 123456789
             },{
             "Start": 1448071200,
             "Stop": 1448157600,
             "ID": 987654321
             },{
             "Start": 1448157600,
             "Stop": 1448244000,
             "ID": 456789123,
             }]
            }
            """
        let bundles = try ListResponse.decode(Data(example.utf8))
        #expect(bundles.map(\.id) == [123_456_789, 987_654_321, 456_789_123])
        #expect(bundles[2] == ExportBundle(id: 456_789_123, start: 1_448_157_600, stop: 1_448_244_000))
    }

    @Test("Keys in any case, ids as strings, large ids and unknown fields are accepted")
    func lenientEntries() throws {
        let body = #"{"exports":[{"Id":156314880048,"start":1563148800,"STOP":1563235200,"Extra":"x"},{"id":"9007199254740993","Start":1,"Stop":2}],"more":true}"#
        let bundles = try ListResponse.decode(Data(body.utf8))
        #expect(bundles == [
            ExportBundle(id: 156_314_880_048, start: 1_563_148_800, stop: 1_563_235_200),
            ExportBundle(id: 9_007_199_254_740_993, start: 1, stop: 2),
        ])
    }

    @Test("An empty list means caught up")
    func emptyList() throws {
        #expect(try ListResponse.decode(Data(#"{"exports":[]}"#.utf8)).isEmpty)
        #expect(try ListResponse.decode(Data(#"{"exports":null}"#.utf8)).isEmpty)
    }

    @Test("A body that is not an export list is a clear error")
    func invalidList() {
        #expect(throws: ExportError.self) { try ListResponse.decode(Data("<html>proxy error</html>".utf8)) }
        do {
            _ = try ListResponse.decode(Data(#"{"exports":[{"Start":1,"Stop":2}]}"#.utf8))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("no ID field"))
        }
    }

    @Test("The simulator's documentation-style output, with the Id spelling, lists end to end")
    func documentationStyleSimulator() async throws {
        let configuration = SimulatorConfiguration(
            dataset: SimulatedDataset(bundleCount: 3), rateLimit: nil, idKey: "Id", documentationStyleJSON: true)
        try await withSimulator(configuration) { simulator in
            let client = try makeClient(simulator)
            var count = 0
            for try await _ in client.bundles(from: -5) { count += 1 }
            #expect(count == 3)
        }
    }

    @Test("A 503 on LIST is retried")
    func listRetriesUnavailable() async throws {
        let configuration = SimulatorConfiguration(rateLimit: nil, faults: [FaultRule(.unavailable, on: .list, .requests([1, 2]))])
        try await withSimulator(configuration) { simulator in
            let page = try await makeClient(simulator).listPage(start: 0)
            #expect(page.count == 20)
            let statuses = await simulator.requests.map(\.status)
            #expect(statuses == [503, 503, 200])
        }
    }

    @Test("Extra headers reach the server on every call")
    func extraHeaders() async throws {
        try await withSimulator { simulator in
            let client = try makeClient(simulator, headers: [try HTTPHeader(parsing: "X-Proxy-Token: abc 123")])
            _ = try await client.listPage(start: 0)
            let record = try #require(await simulator.requests.first)
            #expect(record.headers["x-proxy-token"] == "abc 123")
        }
    }
}

@Suite("The simulator answers as the live API does")
struct SimulatorFidelityTests {
    @Test("LIST entries spell the key Id, as real responses do (clients written against the live API read it), unless asked for the doc's ID")
    func idSpelling() async throws {
        for (key, expected) in [(nil as String?, #""Id":"#), ("ID", #""ID":"#)] {
            var configuration = SimulatorConfiguration(dataset: SimulatedDataset(bundleCount: 1), rateLimit: nil)
            if let key { configuration.idKey = key }
            try await withSimulator(configuration) { simulator in
                let client = try makeClient(simulator)
                let request = client.makeRequest(path: "/api/v1/export/list", parameter: ("start", 0))
                let (_, body) = try await ExportClient.transfer(request) { MemoryReceiver() } extract: { $0.data }
                let text = String(decoding: body, as: UTF8.self)
                #expect(text.contains(expected), "\(text)")
                #expect(try ListResponse.decode(body).count == 1)
            }
        }
    }
}
