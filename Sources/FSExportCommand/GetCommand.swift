import ArgumentParser
import Foundation
import FSExportClient
import FSExportCore
import SystemPackage

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Download one bundle, verified, as delivered (gzip) or decoded (JSON).",
        discussion: """
            The bundle is written to PATH.part and renamed into place only once its gzip CRC and \
            length check out, so PATH is never a partial file. A download that breaks off resumes \
            with a Range request; a damaged one starts over.

            EXAMPLES
              fsexport get 170406720048                      # writes 170406720048.json.gz
              fsexport get 170406720048 --decode -o day.json
              fsexport get 170406720048 --decode -o - | jq -c '.[]'
              fsexport get 170406720048 -o archive/          # archive/170406720048.json.gz
            """)

    @Argument(help: "The bundle id, as `fsexport list` prints it.")
    var id: Int64

    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Where to write the bundle: a file, a folder (ID.json.gz is written inside, as curl --output-dir does), or '-' for standard output. Default: ID.json.gz (ID.json with --decode).",
        valueName: "path"), completion: .file())
    var output: String?

    @Flag(help: "Write the decoded JSON document instead of the gzip bytes.")
    var decode = false

    @Option(help: ArgumentHelp("Folder for the temporary download when writing to standard output.", valueName: "path"), completion: .directory)
    var spoolDir: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if output == "-", !decode, Terminal.standardOutput.isInteractive {
            throw ValidationError("refusing to write gzip bytes to a terminal: add --decode, or redirect standard output")
        }
        let target = self.target
        guard target != "-" else { return }
        // Checked before downloading, so that a bad path costs no transfer and leaves no .part.
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("cannot write \(target): the folder \(folder) does not exist")
        }
    }

    /// Where the bundle goes: the file named, or the default name inside a folder named.
    var target: String {
        let name = decode ? "\(id).json" : "\(id).json.gz"
        guard let output else { return name }
        var isFolder: ObjCBool = false
        if output != "-", output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) && isFolder.boolValue) {
            return URL(fileURLWithPath: output).appendingPathComponent(name).path
        }
        return output
    }

    func run() async throws {
        let command = self
        try await cancellingOnSignal { try await command.fetch() }
    }

    private func fetch() async throws {
        try await reportingErrors(global.logger) {
            try await global.withClient { client in
                let target = self.target
                let progress = ProgressDisplay(label: "bundle \(id)")
                defer { progress.finish() }
                if target != "-" && !decode {
                    let bundle = try await removingPartialFiles(of: target, client) { try await client.download(id, to: target, progress: progress.reporter) }
                    global.logger.info("wrote \(bundle.path) (\(ByteSizeText.format(bundle.byteCount)), \(bundle.encoding.rawValue))")
                    return
                }
                let spool = spoolPath(for: target)
                defer { ConfinedRoot.removeIfPresent(spool) }
                let bundle = try await removingPartialFiles(of: spool, client) { try await client.download(id, to: spool, progress: progress.reporter) }
                progress.finish()
                if target == "-" {
                    try write(bundle, decoded: decode, to: .standardOutput)
                } else {
                    try writeAtomically(bundle, to: target)
                }
            }
        }
    }

    /// A download that fails or is interrupted leaves no partial file behind.
    private func removingPartialFiles<T>(of destination: String, _ client: ExportClient, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            client.arrivingFile(for: destination).map { ConfinedRoot.removeIfPresent($0.path) }
            throw error
        }
    }

    /// Beside the target (same file system), or in the spool folder when writing to stdout.
    private func spoolPath(for target: String) -> String {
        if target == "-" {
            let folder = spoolDir ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
            return "\(folder)/fsexport-\(id)-\(getpid()).download"
        }
        let url = URL(fileURLWithPath: target)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).download").path
    }

    private func write(_ bundle: DownloadedBundle, decoded: Bool, to descriptor: FileDescriptor) throws {
        do {
            if decoded {
                try bundle.readDecoded { _ = try descriptor.writeAll($0) }
            } else {
                let input = try FileSystemError.naming("open", bundle.path) { try FileDescriptor.open(FilePath(bundle.path), .readOnly) }
                defer { try? input.close() }
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                    if count == 0 { break }
                    _ = try buffer[0..<count].withUnsafeBytes { try descriptor.writeAll($0) }
                }
            }
        } catch Errno.brokenPipe {
            // The reader (head, jq …) stopped early: not our failure.
        }
    }

    private func writeAtomically(_ bundle: DownloadedBundle, to target: String) throws {
        let (folder, name) = ConfinedRoot.holding(target)
        let part = SpoolLayout.partPath(for: name)
        let fd = try folder.createFile(part)
        do {
            try fd.closeAfter { try write(bundle, decoded: true, to: fd) }
            try folder.rename(part, to: name)
        } catch {
            try? folder.remove(part)
            throw error
        }
        global.logger.info("wrote \(target) (decoded JSON)")
    }
}
