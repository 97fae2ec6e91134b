import Foundation
import FSExportCore

/// libarchive converts entry names through the current locale, and in the C locale a UTF-8 name
/// it cannot convert makes its pax writer dereference a null name (libarchive issue 2233). Its
/// calls therefore run under C.UTF-8, set for the calling thread alone with `uselocale`, so the
/// process locale is left as it is.
enum UTF8Locale {
    nonisolated(unsafe) private static let locale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

    /// Runs `body` (which must not suspend: the locale belongs to the thread) under C.UTF-8.
    static func run<T>(_ body: () throws -> T) throws -> T {
        guard let locale else { throw SinkError("the C.UTF-8 locale is not available, and libarchive needs it for file names") }
        let previous = uselocale(locale)
        defer { uselocale(previous) }
        return try body()
    }
}
