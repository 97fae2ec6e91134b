import CZlib
#if ISAL
import CIsal
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The library that inflates gzip: ISA-L where fsexport was built with it (the default `ISAL`
/// trait; `swift build --disable-default-traits` builds without), else zlib. `FSEXPORT_INFLATE=zlib`
/// in the environment chooses zlib at run time, to compare the two or to rule one out.
public enum InflateLibrary: String, Sendable, CaseIterable, CustomStringConvertible {
    case isal
    case zlib

    /// The libraries this build can use, fastest first.
    public static var available: [InflateLibrary] {
        #if ISAL
        [.isal, .zlib]
        #else
        [.zlib]
        #endif
    }

    /// The fastest available, unless the environment asks for zlib.
    public static let preferred: InflateLibrary = {
        let asked = getenv("FSEXPORT_INFLATE").map { String(cString: $0) }
        return asked == "zlib" ? .zlib : available[0]
    }()

    /// `ISA-L/2.30.0` or `zlib/1.2.13`, as `--version` shows it.
    public var description: String {
        switch self {
        case .zlib: return "zlib/\(String(cString: zlibVersion()))"
        case .isal:
            #if ISAL
            return "ISA-L/\(ISAL_MAJOR_VERSION).\(ISAL_MINOR_VERSION).\(ISAL_PATCH_VERSION)"
            #else
            return "ISA-L (not built in)"
            #endif
        }
    }

    func makeMemberInflater() throws -> any MemberInflater {
        switch self {
        case .zlib: return try ZlibMemberInflater()
        case .isal:
            #if ISAL
            return IsalMemberInflater()
            #else
            throw ZlibError(kind: .internalError, message: "this fsexport was built without ISA-L", compressedOffset: 0)
            #endif
        }
    }
}
