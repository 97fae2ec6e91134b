import FSExportCommand

@main
enum FSExportMain {
    static func main() async {
        await FSExportCommand.main()
    }
}
