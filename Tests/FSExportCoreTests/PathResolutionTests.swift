import FSExportCore
import Testing

@Suite("Paths in a pipeline file")
struct PathResolutionTests {
    @Test("Relative paths resolve against the pipeline's folder, without '.' components; '..' stays as written", arguments: [
        (".", "/srv/p", "/srv/p"), ("raw", "/srv/p", "/srv/p/raw"), ("./raw/./x", "/srv/p", "/srv/p/raw/x"), ("raw/", "/srv/p", "/srv/p/raw"),
        ("../out", "/srv/p", "/srv/p/../out"), ("/abs//path/.", "/srv/p", "/abs/path"), ("/", "/srv/p", "/"), (".", "/", "/"),
    ])
    func resolve(_ path: String, _ directory: String, _ expected: String) {
        #expect(SinkContext.resolve(path, against: directory) == expected)
    }
}
