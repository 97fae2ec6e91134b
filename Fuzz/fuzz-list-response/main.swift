import Foundation
import FSExportClient
import FSExportCore
import FuzzDriver

/// LIST answers: any bytes decode to bundles that make sense (positive id, times from 1970 to
/// 9999, Start not after Stop) or to an invalid-response error; nothing traps, with any number.
FuzzDriver.main { input in
    do {
        for bundle in try ListResponse.decode(Data(input)) {
            FuzzDriver.require(bundle.id > 0, "bundle id \(bundle.id)")
            FuzzDriver.require(Timestamp.validRange.contains(bundle.start) && Timestamp.validRange.contains(bundle.stop), "times \(bundle)")
            FuzzDriver.require(bundle.start <= bundle.stop, "Start after Stop: \(bundle)")
            _ = bundle.description
        }
    } catch let error as ExportError {
        guard case .invalidResponse = error else { fatalError("unexpected error: \(error)") }
    } catch {
        fatalError("unexpected error: \(error)")
    }
}
