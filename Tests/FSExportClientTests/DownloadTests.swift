import FSExportSimulatedData
import Foundation
import FSExportTestSupport
import FSExportCore
import FSExportSimulator
import Testing

@testable import FSExportClient

@Suite("Downloading bundles")
struct DownloadTests {
    static let dataset = SimulatedDataset(bundleCount: 4, eventsPerBundle: 3000, emptyBundles: [3])

    static func configuration(faults: [FaultRule] = [], ranges: Bool = true) -> SimulatorConfiguration {
        SimulatorConfiguration(
            dataset: dataset, rateLimit: nil, faults: faults, supportsRanges: ranges, slowChunkDelay: .milliseconds(1))
    }

    /// The bundle as a fault-free download delivers it.
    static func reference(_ simulator: ExportSimulator, id: Int64, folder: borrowing TemporaryFolder) async throws -> Data {
        await simulator.setFaults([])
        let bundle = try await makeClient(simulator).download(id, to: folder.file("reference.json.gz"))
        return try Data(contentsOf: URL(fileURLWithPath: bundle.path))
    }

    static func decodedEvents(_ bundle: DownloadedBundle) throws -> [[String: Any]] {
        var json = Data()
        try bundle.readDecoded { json.append(contentsOf: $0) }
        return try #require(JSONSerialization.jsonObject(with: json) as? [[String: Any]])
    }

    @Test("Each fault is survived and the bundle arrives byte-identical", arguments: SimulatedFault.allCases.filter { $0.applies(to: .get) })
    func survivesFault(_ fault: SimulatedFault) async throws {
        let folder = try TemporaryFolder()
        let id = Self.dataset.bundle(at: 1).id
        let rule = FaultRule(fault, on: .get, .requests([1]), retryAfter: fault == .slow ? nil : 1)
        try await withSimulator(Self.configuration(faults: [rule])) { simulator in
            let bundle = try await makeClient(simulator).download(id, to: folder.file("bundle.json.gz"))
            let requests = await simulator.requests
            let expected = try await Self.reference(simulator, id: id, folder: folder)

            #expect(try Data(contentsOf: URL(fileURLWithPath: bundle.path)) == expected)
            #expect(bundle.byteCount == Int64(expected.count))
            #expect(bundle.encoding == .gzip)
            #expect(try Self.decodedEvents(bundle).count == 3000)
            #expect(!FileManager.default.fileExists(atPath: folder.file("bundle.json.gz.part")))
            #expect(requests.first?.fault == fault)
            try #require(requests.count == (fault == .slow ? 1 : 2))
            if fault == .truncate {
                // The second request resumes where the first broke off.
                #expect((requests[1].rangeStart ?? 0) > 0)
                #expect(requests[1].status == 206)
            }
            if fault == .corrupt {
                // Damaged data is never resumed: the second request starts over.
                #expect(requests[1].rangeStart == nil)
            }
        }
    }

    @Test("Progress after a resumed download counts from the whole body: its total never shrinks, its bytes never go back")
    func progressAcrossResume() async throws {
        let folder = try TemporaryFolder()
        let id = Self.dataset.bundle(at: 1).id
        // Broken off halfway, then resumed slowly enough for several reports.
        let faults = [FaultRule(.truncate, on: .get, .requests([1])), FaultRule(.slow, on: .get, .requests([2]))]
        var configuration = Self.configuration(faults: faults)
        configuration.slowChunkDelay = .milliseconds(150)
        try await withSimulator(configuration) { simulator in
            let reports = ProgressReports()
            let bundle = try await makeClient(simulator).download(id, to: folder.file("b.json.gz")) { reports.add($0) }
            let seen = reports.values
            #expect(await simulator.requests.last?.status == 206)
            #expect(seen.compactMap(\.total).allSatisfy { $0 == bundle.byteCount }, "\(seen.compactMap(\.total))")
            let second = seen.drop { $0.bytes < bundle.byteCount / 2 }
            #expect(second.count >= 2, "\(seen.map { ($0.bytes, $0.total ?? -1) })")
            #expect(second.map(\.bytes) == second.map(\.bytes).sorted() && second.allSatisfy { $0.bytes <= bundle.byteCount })
        }
    }

    @Test("Random faults at a high rate still end in an identical bundle")
    func survivesRandomFaults() async throws {
        let folder = try TemporaryFolder()
        let id = Self.dataset.bundle(at: 2).id
        let faults = [FaultRule(.reset, .rate(0.3)), FaultRule(.truncate, .rate(0.3)), FaultRule(.corrupt, .rate(0.2))]
        try await withSimulator(Self.configuration(faults: faults)) { simulator in
            var retry = RetryPolicy(initialDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxAttempts: 60)
            retry.maxCorruptDownloads = 30
            let bundle = try await makeClient(simulator, retry: retry).download(id, to: folder.file("random.json.gz"))
            let expected = try await Self.reference(simulator, id: id, folder: folder)
            #expect(try Data(contentsOf: URL(fileURLWithPath: bundle.path)) == expected)
        }
    }

    @Test("Without Range support a broken download starts over")
    func restartsWithoutRanges() async throws {
        let folder = try TemporaryFolder()
        let id = Self.dataset.bundle(at: 0).id
        try await withSimulator(Self.configuration(faults: [FaultRule(.truncate, .requests([1]))], ranges: false)) { simulator in
            let bundle = try await makeClient(simulator).download(id, to: folder.file("b.json.gz"))
            let requests = await simulator.requests
            #expect(requests.map(\.status) == [200, 200])
            #expect(try Self.decodedEvents(bundle).count == 3000)
        }
    }

    @Test("A gzip body marked Content-Encoding: gzip and a plain JSON body both work")
    func encodings() async throws {
        let folder = try TemporaryFolder()
        let id = Self.dataset.bundle(at: 0).id
        var gzipEncoded = Self.configuration()
        gzipEncoded.contentEncodingGzip = true
        var plain = Self.configuration()
        plain.servePlainJSON = true

        let fromEncoded = try await withSimulator(gzipEncoded) { try await makeClient($0).download(id, to: folder.file("a")) }
        let fromPlain = try await withSimulator(plain) { try await makeClient($0).download(id, to: folder.file("b")) }
        #expect(fromEncoded.encoding == .gzip)
        #expect(fromPlain.encoding == .json)
        var first = Data()
        var second = Data()
        try fromEncoded.readDecoded { first.append(contentsOf: $0) }
        try fromPlain.readDecoded { second.append(contentsOf: $0) }
        #expect(first == second)
        #expect(first.count > fromEncoded.byteCount)
    }

    @Test("An empty bundle is a valid empty array")
    func emptyBundle() async throws {
        let folder = try TemporaryFolder()
        try await withSimulator(Self.configuration()) { simulator in
            let bundle = try await makeClient(simulator).download(Self.dataset.bundle(at: 3).id, to: folder.file("empty.json.gz"))
            #expect(try Self.decodedEvents(bundle).isEmpty)
        }
    }

    @Test("A bundle that is damaged on every download is reported, not delivered")
    func persistentCorruption() async throws {
        let folder = try TemporaryFolder()
        let id = Self.dataset.bundle(at: 0).id
        try await withSimulator(Self.configuration(faults: [FaultRule(.corrupt, .always)])) { simulator in
            var retry = RetryPolicy(initialDelay: .milliseconds(10), maxDelay: .milliseconds(20))
            retry.maxCorruptDownloads = 3
            do {
                _ = try await makeClient(simulator, retry: retry).download(id, to: folder.file("bad.json.gz"))
                Issue.record("a damaged bundle was delivered")
            } catch ExportError.corruptBundle(let failedID, let detail) {
                #expect(failedID == id)
                #expect(detail.contains("3 downloads in a row"))
            }
            #expect(await simulator.requests.count == 3)
            #expect(!FileManager.default.fileExists(atPath: folder.file("bad.json.gz")))
            #expect(!FileManager.default.fileExists(atPath: folder.file("bad.json.gz.part")))
        }
    }

    @Test("A fetch for a checking reader resumes broken transfers, leaves the gzip stream to the reader, and says so")
    func forCheckingReader() async throws {
        let folder = try TemporaryFolder()
        let id = Self.dataset.bundle(at: 1).id
        let bundle = ExportBundle(id: id, start: Self.dataset.bundle(at: 1).start, stop: Self.dataset.bundle(at: 1).stop)
        try await withSimulator(Self.configuration(faults: [FaultRule(.truncate, .requests([1])), FaultRule(.corrupt, .requests([3]))])) { simulator in
            let client = try makeClient(simulator)
            // Cut short: resumed with a Range request, as a checked download is.
            let (resumed, verified) = try await client.fetchForCheckingReader(bundle, to: folder.file("resumed.json.gz"))
            #expect(!verified)
            #expect(await simulator.requests.map(\.status) == [200, 206])
            // Damaged: whole by its transfer, so handed over as it came, for the reader to refuse.
            let (damaged, _) = try await client.fetchForCheckingReader(bundle, to: folder.file("damaged.json.gz"))
            #expect(await simulator.requests.count == 3)
            let expected = try await Self.reference(simulator, id: id, folder: folder)
            #expect(try Data(contentsOf: URL(fileURLWithPath: resumed.path)) == expected)
            let damagedBytes = try Data(contentsOf: URL(fileURLWithPath: damaged.path))
            #expect(damagedBytes.count == expected.count && damagedBytes != expected)
            #expect(throws: (any Error).self) { try Self.decodedEvents(damaged) }
        }
    }

    @Test("Cancelling a download stops the transfer promptly")
    func cancellation() async throws {
        let folder = try TemporaryFolder()
        var configuration = Self.configuration(faults: [FaultRule(.slow, .always)])
        configuration.slowChunkDelay = .seconds(3)  // 16 KiB every 3 s: the whole bundle would take half a minute
        try await withSimulator(configuration) { simulator in
            let client = try makeClient(simulator)
            let id = Self.dataset.bundle(at: 0).id
            let destination = folder.file("slow.json.gz")
            let task = Task { try await client.download(id, to: destination) }
            // Once the body is flowing: the transfer is under way.
            try await waitUntil { (try? FileSize.of(destination + ".part")) ?? 0 != 0 }
            let clock = ContinuousClock()
            let started = clock.now
            task.cancel()
            let result = await task.result
            #expect(clock.now - started < .seconds(10))  // the rest of the transfer would take far longer
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(!FileManager.default.fileExists(atPath: folder.file("slow.json.gz")))
        }
    }
}

/// Progress reports from the transfer thread.
final class ProgressReports: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [TransferProgress] = []
    func add(_ report: TransferProgress) { lock.withLock { reports.append(report) } }
    var values: [TransferProgress] { lock.withLock { reports } }
}
