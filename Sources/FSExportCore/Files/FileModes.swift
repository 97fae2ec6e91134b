import Foundation
import SystemPackage

/// The one rule for the modes of what fsexport creates, as `cp` and `curl` do: files are created
/// 0666 and folders 0777, less the process's umask. Under the usual umask 022, outputs are 0644 and
/// folders 0755; run under `umask 077` (in the cron line or the service unit) to keep exports,
/// which hold personal data, to their owner. Every stage and every download follows it; only
/// scratch files no one else reads (a program's captured standard error) are 0600.
public enum FileModes {
    /// Files: 0666, less the umask.
    public static let file: FilePermissions = [.ownerReadWrite, .groupReadWrite, .otherReadWrite]
    /// The same, for `open(2)`.
    public static let fileBits: mode_t = 0o666
    /// Folders, for `mkdir(2)`: 0777, less the umask.
    public static let folderBits: mode_t = 0o777
}
