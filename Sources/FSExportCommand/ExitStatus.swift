import ArgumentParser
import FSExportArchive
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportZlib
import Logging

/// The exit codes of every command, as `fsexport --help` documents them.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case success = 0
    case failure = 1
    case authentication = 3
    case notFound = 4
    case networkGaveUp = 5
    case dataError = 6
    case usage = 64
    case busy = 75
    case invalidPipeline = 78
    case interrupted = 130

    static let helpText = """
        EXIT CODES
          0    success
          1    other failure (local files, configuration)
          3    the API key was rejected (401), or lacks the Admin or Architect
               role (403)
          4    the bundle or segment does not exist (404)
          5    the network or the API kept failing until the retry limit was reached
               (a segment export that kept ending FAILED included)
          6    data error: a damaged bundle, or a response that is not what the
               API sends
          64   usage error (bad option or argument)
          75   another run of this pipeline is in progress; nothing was done
          78   the pipeline file is invalid (fsexport validate shows where)
          130  interrupted by SIGINT (143: SIGTERM); the state file stays consistent
        """

    static func of(_ error: any Error) -> ExitStatus {
        switch error {
        case let error as ExportError:
            switch error {
            case .unauthorized, .forbidden: return .authentication
            case .bundleNotFound, .segmentNotFound: return .notFound
            case .gaveUp, .exportFailed, .locationRefused, .exportExpired, .exportTimedOut: return .networkGaveUp
            case .corruptBundle, .invalidResponse: return .dataError
            case .configuration, .missingKey, .httpStatus, .localIO: return .failure
            }
        case is ZlibError, is BundleFormatError, is DamagedBundleFile: return .dataError
        case let failure as StageFailure: return of(failure.underlying) == .dataError ? .dataError : .failure
        case is PipelineFileError: return .invalidPipeline
        case is PipelineBusy: return .busy
        case is CancellationError: return .interrupted
        case is Timestamp.ParseError: return .usage
        default: return .failure
        }
    }
}

/// Runs a command body, turning library errors into a one-line message and the documented exit code.
/// Through `logger`, so that a JSON log ends with a JSON error; a pipeline file's diagnostics,
/// which already say `file:line:column: error:`, go out as they are.
func reportingErrors(_ logger: Logger, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as PipelineFileError {
        Terminal.standardError.writeLine(error.description)
        throw ExitCode(ExitStatus.invalidPipeline.rawValue)
    } catch is CancellationError {
        throw ExitCode(ExitStatus.interrupted.rawValue)  // told to stop: not an error to report
    } catch {
        // The line says what the exit status will be, and which bundle and stage, when one failed.
        let status = ExitStatus.of(error).rawValue
        var metadata: Logger.Metadata = ["exit_code": "\(status)"]
        if let failure = error as? StageFailure {
            metadata["bundle_id"] = "\(failure.bundleID)"
            metadata["stage"] = "\(failure.stage)"
        } else if let damaged = error as? BundleFormatError, let bundle = damaged.bundleID {
            metadata["bundle_id"] = "\(bundle)"
        }
        logger.error("\(error)", metadata: metadata)
        throw ExitCode(status)
    }
}
