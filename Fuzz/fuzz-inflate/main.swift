import FSExportZlib
import FuzzDriver

/// Any bytes, as a bundle's gzip stream: ISA-L gives the same outcome whatever the pieces the bytes
/// arrive in; ISA-L and zlib inflate them to the same bytes or both refuse them; output counts add
/// up. Built without ISA-L (the ISAL trait off), zlib is checked against itself.
FuzzDriver.main { input in
    func inflate(_ library: InflateLibrary, pieces: Int) -> Result<[UInt8], ZlibError> {
        do {
            let inflater = try Inflater(library: library)
            var output: [UInt8] = []
            var start = 0
            while start < input.count {
                let end = min(input.count, start + pieces)
                try inflater.inflate(UnsafeRawBufferPointer(rebasing: input[start..<end])) { output += $0 }
                start = end
            }
            try inflater.finish()
            FuzzDriver.require(inflater.inflatedCount == Int64(output.count), "\(library) counted \(inflater.inflatedCount) bytes, gave \(output.count)")
            return .success(output)
        } catch let error as ZlibError {
            return .failure(error)
        } catch {
            fatalError("not a ZlibError: \(error)")
        }
    }
    func same(_ a: Result<[UInt8], ZlibError>, _ b: Result<[UInt8], ZlibError>, kindsAtTheEnd: Bool) -> Bool {
        switch (a, b) {
        case (.success(let a), .success(let b)): return a == b
        case (.failure(let a), .failure(let b)):
            // Where the input ends inside a code or a trailer, one decoder may call it cut short
            // and the other damaged (zlib checks a trailer's CRC-32 before its length is in).
            let atTheEnd = a.compressedOffset >= Int64(input.count) || b.compressedOffset >= Int64(input.count)
            return a.kind == b.kind || (kindsAtTheEnd && atTheEnd)
        default: return false
        }
    }
    // The fastest library this build has (ISA-L, or zlib in a build without it) against itself in
    // pieces, and against zlib.
    let fastest = InflateLibrary.available[0]
    let whole = inflate(fastest, pieces: input.count + 1)
    let pieces = inflate(fastest, pieces: max(1, Int(input.first ?? 1) % 64))
    FuzzDriver.require(same(whole, pieces, kindsAtTheEnd: true), "\(fastest): whole \(whole.map(\.count)), in pieces \(pieces.map(\.count))")
    let zlib = inflate(.zlib, pieces: input.count + 1)
    FuzzDriver.require(same(whole, zlib, kindsAtTheEnd: true), "\(fastest) \(whole.map(\.count)), zlib \(zlib.map(\.count))")
}
