import CPostgres
import CSQLite

/// The database client libraries fsexport runs with: `SQLite/3.40.1 libpq/15.14`.
package enum WarehouseLibraries {
    package static var versions: String {
        let libpq = PQlibVersion()
        return "SQLite/\(String(cString: sqlite3_libversion())) libpq/\(libpq / 10_000).\(libpq % 10_000)"
    }
}
