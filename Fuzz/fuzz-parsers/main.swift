import FuzzDriver

/// Every parser's fuzz target in one program, so that the sanitizer build compiles and links once:
/// `fuzz-parsers TARGET [libFuzzer's options and corpus folders, or files to replay]`, where
/// TARGET names one of the functions below and its corpus, Fuzz/corpus/TARGET.
/// `fuzz-parsers --list` names them. (fuzz-inflate is a program of its own: a test builds it
/// without ISA-L, which this one's modules do not need.)
FuzzDriver.main(targets: [
    "fuzz-credentials-file": fuzzCredentialsFile,
    "fuzz-json-scanner": fuzzJSONScanner,
    "fuzz-key-file": fuzzKeyFile,
    "fuzz-list-response": fuzzListResponse,
    "fuzz-pipeline": fuzzPipeline,
    "fuzz-s3-responses": fuzzS3Responses,
    "fuzz-segment-responses": fuzzSegmentResponses,
    "fuzz-state-file": fuzzStateFile,
    "fuzz-templates": fuzzTemplates,
    "fuzz-times": fuzzTimes,
])
