import Foundation
import FSExportCommand

@main
enum FSExportMain {
    static func main() async {
        // A reader that goes away (`| head`) is an error to handle where it happens, not a reason to die.
        signal(SIGPIPE, SIG_IGN)
        assert(ProcessTuning.isApplied, "glibc refused the malloc tuning")
        await FSExportCommand.main()
    }
}
