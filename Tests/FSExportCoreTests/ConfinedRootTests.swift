import Foundation
import FSExportCore
import FSExportTestSupport
import Synchronization
import SystemPackage
import Testing

/// The one primitive through which fsexport writes below a root: no symbolic link there is ever
/// followed, planted before or swapped in while it works.
@Suite("The confined root")
struct ConfinedRootTests {
    @Test("Removing a tree never enters a symbolic link: the link goes, what it points at stays")
    func removeDoesNotFollow() throws {
        let root = try TemporaryFolder("root"), outside = try TemporaryFolder("outside")
        try outside.write("precious", "keep")
        try ConfinedRoot(root.path).makeFolders("tmp/stage")
        try root.link("tmp/stage/link", to: outside.path)
        try root.link("tmp/file-link", to: "\(outside.path)/precious")
        try ConfinedRoot(root.path).remove("tmp")
        #expect(root.listing().isEmpty)
        #expect(outside.read("precious") == "keep")
    }

    @Test("A symbolic link on the way is refused for every operation; nothing outside is touched")
    func linkOnTheWay() throws {
        let root = try TemporaryFolder("root"), outside = try TemporaryFolder("outside")
        try outside.write("stage/1/precious", "keep")
        try root.link(".fsexport-tmp", to: outside.path)
        let confined = ConfinedRoot(root.path)
        #expect(throws: FileSystemError.self) { try confined.remove(".fsexport-tmp/stage/1") }
        #expect(throws: FileSystemError.self) { try confined.makeFolders(".fsexport-tmp/stage/2") }
        #expect(throws: FileSystemError.self) { try confined.createFile(".fsexport-tmp/stage/1/precious") }
        #expect(throws: FileSystemError.self) { try confined.writeAtomically(Data("x".utf8), to: ".fsexport-tmp/state.json") }
        try root.write("mine", "mine")
        #expect(throws: FileSystemError.self) { try confined.rename("mine", to: ".fsexport-tmp/stolen") }
        #expect(throws: FileSystemError.self) { try confined.link("mine", to: ".fsexport-tmp/stolen") }
        confined.removeEmptyFolders([".fsexport-tmp", ".fsexport-tmp/stage", ".fsexport-tmp/stage/1"])
        #expect(outside.listing() == ["stage", "stage/1", "stage/1/precious"])
        #expect(outside.read("stage/1/precious") == "keep")
    }

    @Test("A file that is a symbolic link is never opened for writing through it; an atomic write replaces the link itself")
    func fileLinks() throws {
        let root = try TemporaryFolder("root"), outside = try TemporaryFolder("outside")
        try outside.write("target", "keep")
        try root.link("state.json.lock", to: "\(outside.path)/target")
        let confined = ConfinedRoot(root.path)
        #expect(throws: FileSystemError.self) { try confined.open("state.json.lock", .readWrite, options: [.create], permissions: FileModes.file) }
        #expect(throws: FileSystemError.self) { try confined.createFile("state.json.lock") }
        try root.link("state.json", to: "\(outside.path)/target")
        try confined.writeAtomically(Data("new".utf8), to: "state.json")
        #expect(root.read("state.json") == "new")
        #expect(outside.read("target") == "keep")
        #expect(confined.kind(of: "state.json") == .file)
        #expect(confined.kind(of: "state.json.lock") == .symbolicLink)
    }

    @Test("Paths that would leave the root are refused before anything is touched", arguments: ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/."])
    func escapes(_ relative: String) throws {
        let root = try TemporaryFolder("root")
        #expect(throws: FileSystemError.self) { try ConfinedRoot(root.path).createFile(relative) }
        #expect(root.listing().isEmpty)
    }

    @Test("Made folders are reported outermost first, and only those are removed again")
    func madeFolders() throws {
        let root = try TemporaryFolder("root")
        try root.write("raw/kept/file", "x")
        let confined = ConfinedRoot(root.path)
        let made = try confined.makeFolders("raw/2015/11/21")
        #expect(made == ["raw/2015", "raw/2015/11", "raw/2015/11/21"])
        confined.removeEmptyFolders(made)
        #expect(root.listing() == ["raw", "raw/kept", "raw/kept/file"])
    }

    /// A process racing fsexport, swapping a folder below the root for a link to the outside
    /// while files are created there: a check on a path followed by a use of it would lose.
    @Test("A folder swapped for a link while files are created there never leads outside")
    func swappedWhileWorking() throws {
        let root = try TemporaryFolder("root"), outside = try TemporaryFolder("outside")
        let confined = ConfinedRoot(root.path)
        let stop = Flag()
        let swapper = Thread {
            let folder = "\(root.path)/a", aside = "\(root.path)/a-aside"
            while !stop.isSet {
                mkdir(folder, 0o755)
                rename(folder, aside)
                symlink(outside.path, folder)
                unlink(folder)
                rmdir(aside)
                rename(aside, folder)
            }
        }
        swapper.start()
        var created = 0
        for index in 0..<3000 {
            if let fd = try? confined.createFile("a/file-\(index)") {
                try fd.close()
                created += 1
            }
            _ = try? confined.makeFolders("a/b\(index)")
        }
        stop.set()
        Thread.sleep(forTimeInterval: 0.05)
        #expect(outside.listing().isEmpty, "written outside: \(outside.listing().prefix(5))")
        #expect(created > 0, "the race never let a file through at all: the test proves nothing")
    }
}

/// A flag another thread sets.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
}
