#!/usr/bin/env bash
# Tests the example package the way its user would, then checks fsexport's two SwiftPM plugins on it:
#   1. its tests pass, and its own binary runs its pipeline against the simulator;
#   2. `fsexport-new-sink` scaffolds a sink that builds, registers, and passes its test unedited;
#   3. a broken pipeline file fails `swift build` with file:line:column errors.
set -euo pipefail
cd "$(dirname "$0")"

# Builds in fsexport's own build folder: fsexport's modules, which this package depends on by path,
# are then compiled once for both packages (a build of its own would compile all of them again,
# and those of the validation plugin's tool a third time).
swift() { command swift "$1" --scratch-path ../../.build "${@:2}"; }

# swift test builds every target first, the package's own fsexport among them.
swift test

out=$(mktemp -d)
scaffolded=(Sources/CSVSink/SampleSink.swift Tests/CSVSinkTests/SampleSinkTests.swift Sources/CSVSink/broken.fsexport.yml)
cleanup() {
    rm -rf "$out" "${scaffolded[@]}"
    sed -i 's/SampleSink\.self, //' Sources/my-fsexport/main.swift
}
trap cleanup EXIT

echo "== the package's own fsexport runs its pipeline"
FSEXPORT_OUT=$out swift run my-fsexport run Sources/CSVSink/clicks.fsexport.yml --simulate --until 2024-01-04
head -2 "$out/clicks/2024-01-02.csv"
test "$(head -1 "$out/clicks/2024-01-02.csv" | tr -d '\r')" = "EventStart,UserId,PageUrl,EventTargetText"
cat "$out/counts/170415360048.json"; echo

echo "== fsexport-new-sink scaffolds a sink that builds and passes its test"
swift package --allow-writing-to-package-directory fsexport-new-sink Sample --target CSVSink
grep -q "SampleSink.self" Sources/my-fsexport/main.swift
swift test --filter SampleSinkTests 2>&1 | tee "$out/scaffold.log"
grep -q 'passed' "$out/scaffold.log"
swift run my-fsexport validate - <<< 'source: {start: 0}
stages:
  s: {type: sample, inputs: [source]}
  f: {type: files, inputs: [s], path: "{name}"}'

echo "== a broken pipeline file fails swift build"
cat > Sources/CSVSink/broken.fsexport.yml <<'YAML'
source: {start: 0}
stages:
  raw:
    type: files
    inputs: [sorce]
    path: raw/{id}.json.gz
YAML
if swift build > "$out/build.log" 2>&1; then
    echo "swift build accepted a broken pipeline file" >&2
    exit 1
fi
grep "broken.fsexport.yml:5:14: error: stage 'raw' reads 'sorce'" "$out/build.log"
echo "custom-sink: all checks passed"
