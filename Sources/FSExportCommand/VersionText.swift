import CBuildInfo
import FSExportCore
import FSExportHTTP
import FSExportSinks
import FSExportWarehouse
import FSExportZlib
import FSExportZstd

/// `fsexport --version`: the version and the commit it was built from, then the C libraries it
/// runs with, as `curl --version` shows them, for a bug report (a TLS or zlib behaviour is often
/// the library's).
enum VersionText {
    static var full: String {
        """
        fsexport \(FSExportVersion.current) (commit \(String(cString: fsx_build_commit())))
        \(CurlTransfer.libraryVersion)
        \(InflateLibrary.available.map(\.description).joined(separator: " ")) \(ParallelGzip.libraryVersion) \(ZstdCompressor.libraryVersion) \(LibArchive.version) \(WarehouseLibraries.versions)
        gzip: inflated with \(InflateLibrary.preferred) (FSEXPORT_INFLATE=zlib for zlib), compressed with \(ParallelGzip.libraryVersion)
        """
    }
}
