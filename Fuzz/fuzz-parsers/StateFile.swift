import Foundation
import FSExportCore
import FuzzDriver

/// State files: any bytes are a checkpoint that makes sense, from which a run can resume, or an
/// error naming the file; nothing traps.
func fuzzStateFile(_ input: UnsafeRawBufferPointer) {
    do {
        let checkpoint = try CheckpointStore.checkpoint(from: Data(input), path: "state.json")
        FuzzDriver.require(Timestamp.validRange.contains(checkpoint.stop), "stop \(checkpoint.stop)")
        let resumption = checkpoint.resumption
        FuzzDriver.require(
            resumption.listFrom < checkpoint.stop || (checkpoint.isReset && resumption.listFrom == checkpoint.stop), "resumes after its own Stop")
        _ = Timestamp.iso8601(checkpoint.stop)
        _ = resumption.isDelivered(ExportBundle(id: checkpoint.bundleID, start: 0, stop: checkpoint.stop))
    } catch {
        FuzzDriver.require("\(error)".contains("state.json"), "an error without the file: \(error)")
    }
}
