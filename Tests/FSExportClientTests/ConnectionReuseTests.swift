import Foundation
import FSExportClient
import FSExportCore
import FSExportSimulator
import FSExportTestSupport
import Testing

@Suite("Connections are reused")
struct ConnectionReuseTests {
    @Test("A hundred LIST pages travel on one connection, not a hundred handshakes")
    func listPagesShareOneConnection() async throws {
        try await withSimulator { simulator in
            let client = try makeClient(simulator)
            for _ in 0..<100 { _ = try await client.listPage(start: 0) }
            let connections = Set(await simulator.requests.map(\.connection))
            #expect(connections == [1])
        }
    }

    @Test("A connection the server reset is not used again; the next one carries the calls after it")
    func resetConnectionIsReplaced() async throws {
        let configuration = SimulatorConfiguration(rateLimit: nil, faults: [FaultRule(.reset, on: .list, .requests([3]))])
        try await withSimulator(configuration) { simulator in
            let client = try makeClient(simulator)
            for _ in 0..<6 { _ = try await client.listPage(start: 0) }
            let requests = await simulator.requests
            try #require(requests.count == 7)  // six calls, one retried
            #expect(requests.prefix(3).allSatisfy { $0.connection == 1 })
            #expect(requests.dropFirst(3).allSatisfy { $0.connection == 2 })
        }
    }
}
