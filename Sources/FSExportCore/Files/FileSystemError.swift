import Foundation
import SystemPackage

/// A local file operation that failed, with what was being done and to which path, so that no
/// error reads as a bare "No such file or directory".
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    /// What was being done: `create the folder`, `open`, `remove`, …
    public var operation: String
    public var path: String
    /// The system's reason, or a sentence of fsexport's own.
    public var reason: String

    public init(_ operation: String, _ path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    /// From the current `errno`.
    public init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        self.init(operation, path, reason: String(cString: strerror(code)))
    }

    public var description: String { "cannot \(operation) \(path): \(reason)" }

    /// Runs `body`, naming the operation and the path in any system error it throws.
    public static func naming<T>(_ operation: String, _ path: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as Errno {
            throw FileSystemError(operation, path, errno: error.rawValue)
        }
    }

    /// Runs `body`, naming the operation and the path in any system error it throws.
    public static func naming<T>(_ operation: String, _ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as Errno {
            throw FileSystemError(operation, path, errno: error.rawValue)
        } catch let error as FileSystemError {
            throw error
        } catch {
            // Foundation's errors print as "Error Domain=NSCocoaErrorDomain Code=512 (null)": say
            // the system's reason instead, which Foundation keeps as the underlying POSIX error.
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            if let underlying, underlying.domain == NSPOSIXErrorDomain { throw FileSystemError(operation, path, errno: Int32(underlying.code)) }
            throw FileSystemError(operation, path, reason: (error as NSError).localizedDescription)
        }
    }
}
