import FSExportCore
import FSExportClient
let path = CommandLine.arguments[1]
let clock = ContinuousClock()
let start = clock.now
let decoder = try BundleDecoder(path: path, encoding: .gzip)
var events = 0
var bytes = 0
while let batch = try decoder.next() { events += batch.count; bytes += batch.bytes.count }
print(events, bytes, clock.now - start)
