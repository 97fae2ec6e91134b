import Foundation
import FSExportClient
import FSExportCore
import FuzzDriver

/// LIST answers: any bytes decode to bundles that make sense (positive id, times from 1970 to
/// 9999, Start not after Stop) or to an invalid-response error; an answer that repeats a key in
/// one object is refused; nothing traps, with any number.
func fuzzListResponse(_ input: UnsafeRawBufferPointer) {
    let repeated = RepeatedKeys.first(in: Data(input))
    do {
        let bundles = try ListResponse.decode(Data(input))
        FuzzDriver.require(repeated == nil, "an answer repeating \(repeated ?? "") was read")
        for bundle in bundles {
            FuzzDriver.require(bundle.id > 0, "bundle id \(bundle.id)")
            FuzzDriver.require(Timestamp.validRange.contains(bundle.start) && Timestamp.validRange.contains(bundle.stop), "times \(bundle)")
            FuzzDriver.require(bundle.start <= bundle.stop, "Start after Stop: \(bundle)")
            _ = bundle.description
        }
    } catch {  // every call above throws an ExportError, and no other
        guard case .invalidResponse = error else { fatalError("unexpected error: \(error)") }
    }
}
