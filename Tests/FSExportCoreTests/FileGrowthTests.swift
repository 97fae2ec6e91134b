import FSExportCore
import Testing

@Suite("Waiting for a file to grow")
struct FileGrowthTests {
    let file = FileGrowth.Key("/spool/1.bundle.part")

    @Test("A reader waits until the writer's next write, and not after it: a write between its look and its wait is not missed")
    func wakesOnWrite() async {
        let growth = FileGrowth()
        await growth.watching(file) {
            let seen = growth.version(of: file)
            growth.grew(FileGrowth.Key("/spool/./1.bundle.part"))  // the writer spells it its own way
            await growth.wait(for: file, beyond: seen)  // returns at once: the write came after the look
            let next = growth.version(of: file)
            #expect(next == seen + 1)
            async let woken: Void = growth.wait(for: file, beyond: next)
            await Task.yield()
            growth.grew(file)
            await woken
            #expect(growth.version(of: file) == next + 1)
        }
    }

    @Test("A reader cancelled while it waits returns, with no write")
    func cancelled() async {
        let growth = FileGrowth()
        await growth.watching(file) {
            let waiting = Task { await growth.wait(for: file, beyond: growth.version(of: file)) }
            waiting.cancel()
            await waiting.value
            #expect(growth.version(of: file) == 0)
        }
    }

    @Test("Writes to a file nobody follows are not tracked")
    func unwatched() {
        let growth = FileGrowth()
        for _ in 0..<1000 { growth.grew(file) }
        #expect(growth.version(of: file) == 0)
    }
}
