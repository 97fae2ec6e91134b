import ArgumentParser
import Foundation
import FSExportCore
import Logging

/// `-v`, `-q` and `--log-format`, declared once for every command that logs.
struct LoggingOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log every request, retry and decision.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Log only errors.")
    var quiet = false

    @Option(help: ArgumentHelp("Log lines as text (RFC 3339 times when not on a terminal) or json, one object a line. Default: FSEXPORT_LOG_FORMAT, else text.", valueName: "format"))
    var logFormat: FSExportLogHandler.Format?

    func validate() throws {
        if verbose && quiet { throw ValidationError("--verbose and --quiet cannot be used together") }
        _ = try makeLogger(verbose: verbose, quiet: quiet, format: logFormat)
    }

    /// Checked by `validate()`, so that a bad FSEXPORT_LOG_* value is a usage error before any work.
    var logger: Logger {
        (try? makeLogger(verbose: verbose, quiet: quiet, format: logFormat)) ?? Logger(label: "fsexport") { _ in FSExportLogHandler() }
    }
}

extension FSExportLogHandler.Format: ExpressibleByArgument {}

/// The command line's logger: `-v`/`-q` over `FSEXPORT_LOG_LEVEL`, `--log-format` over
/// `FSEXPORT_LOG_FORMAT`; a bad value in the environment is a usage error.
func makeLogger(
    verbose: Bool, quiet: Bool, format: FSExportLogHandler.Format? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
) throws -> Logger {
    var level: Logger.Level = verbose ? .debug : quiet ? .error : .info
    if !verbose, !quiet, let text = environment["FSEXPORT_LOG_LEVEL"], !text.isEmpty {
        guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue)
            throw ValidationError("FSEXPORT_LOG_LEVEL must be one of \(names.joined(separator: ", ")), not '\(text)'")
        }
        level = parsed
    }
    var chosen = format ?? .text
    if format == nil, let text = environment["FSEXPORT_LOG_FORMAT"], !text.isEmpty {
        guard let parsed = FSExportLogHandler.Format(rawValue: text.lowercased()) else {
            throw ValidationError("FSEXPORT_LOG_FORMAT must be text or json, not '\(text)'")
        }
        chosen = parsed
    }
    return Logger(label: "fsexport") { _ in FSExportLogHandler(format: chosen, logLevel: level) }
}
