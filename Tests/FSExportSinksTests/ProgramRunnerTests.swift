import Foundation
import FSExportCore
import FSExportSinkTesting
import FSExportTestSupport
import Testing

@testable import FSExportSinks

/// The one process runner both program sinks use, driven directly.
@Suite("The program runner")
struct ProgramRunnerTests {
    @Test("The program reads what body writes, and its output lines come back; the exit status is checked")
    func feedsAndReads() async throws {
        let work = try TemporaryFolder("runner")
        let ending = try await ProgramRunner(command: ["tr", "a-z", "A-Z"], environment: [:], workingDirectory: work.path)
            .run(output: .lines, errors: .captured(in: work.path)) { io in
                _ = await io.write(Array("hello\nworld\n".utf8))
                await io.finishInput()
                var lines: [String] = []
                for try await line in io.lines! { lines.append(line) }
                return lines
            }
        try ending.check()
        #expect(ending.value == ["HELLO", "WORLD"])
    }

    @Test("A failing program's error names it, its status and the end of its standard error")
    func failureSaysWhy() async throws {
        let work = try TemporaryFolder("runner")
        let ending = try await ProgramRunner(command: ["sh", "-c", "echo 'disk full' >&2; exit 3"], environment: [:], workingDirectory: work.path)
            .run(output: .lines, errors: .captured(in: work.path)) { io in await io.finishInput() }
        #expect {
            try ending.check()
        } throws: { error in
            let text = "\(error)"
            return text.contains("sh -c") && text.contains("3") && text.contains("disk full")
        }
        #expect(work.listing().isEmpty, "the captured standard error is removed")
    }

    @Test("A program past its timeout is killed with its group, and the error says so")
    func timeout() async throws {
        let work = try TemporaryFolder("runner")
        // Killed, not waited out: a program that ended by itself would end with success, not this error.
        await #expect {
            _ = try await ProgramRunner(command: ["sh", "-c", "sleep 29 & sleep 29"], environment: [:], workingDirectory: work.path)
                .run(output: .lines, errors: .captured(in: work.path), timeout: .milliseconds(300)) { _ in }
        } throws: { error in
            "\(error)".hasPrefix("sh -c sleep 29 & sleep 29 took longer than its timeout of ") && "\(error)".contains("and was killed")
        }
    }

    @Test("The API key is not in the program's environment")
    func noKeyInEnvironment() async throws {
        let work = try TemporaryFolder("runner")
        let ending = try await ProgramRunner(
            command: ["sh", "-c", "echo \"kept=$KEPT key=$FULLSTORY_API_KEY\""], environment: ["FULLSTORY_API_KEY": "secret-key-1234", "KEPT": "yes"],
            workingDirectory: work.path
        ).run(output: .lines, errors: .captured(in: work.path)) { io in
            await io.finishInput()
            var lines: [String] = []
            for try await line in io.lines! { lines.append(line) }
            return lines
        }
        #expect(ending.value == ["kept=yes key="], "\(ending.value)")
    }
}
