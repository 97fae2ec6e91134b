#!/usr/bin/env bash
# Opt-in: fsexport's peak memory on hostile bundles, beside a realistic one, through a real run
# (download, decode, an NDJSON files stage). Memory must stay under the 64 MiB ceiling whatever a
# document holds. Each bundle is served by Benchmarks/hostile-memory.py on loopback.
#   Benchmarks/hostile-memory.sh [GiB of white space]     (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
gib=${1:-1}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
swift build -c release --product fsexport >/dev/null
bin=$PWD/.build/release/fsexport
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
server=

# name | how the document is made (stdout: the JSON document)
measure() {
    local name="$1"; shift
    "$@" | gzip -1 > "$work/bundle.json.gz"
    rm -f "$work/port"; python3 Benchmarks/hostile-memory.py "$work/bundle.json.gz" "$work/port" & server=$!
    until [ -s "$work/port" ]; do sleep 0.1; done
    rm -rf "$work/run" && mkdir -p "$work/run"
    printf 'source: {start: 0, settle: 0s, base_url: "http://127.0.0.1:%s", api_key: benchmark-key}\nstages:\n  lines: {type: files, inputs: [source], format: ndjson, path: "{id}.ndjson"}\n' \
        "$(cat "$work/port")" > "$work/run/p.yml"
    local status=0
    /usr/bin/time -v "$bin" run "$work/run/p.yml" -q 2>"$work/time" || status=$?
    kill $server; wait $server 2>/dev/null || true
    local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
    printf '%-44s %10s   exit %d   peak RSS %6.1f MiB\n' "$name" "$(du -h "$work/bundle.json.gz" | cut -f1)" "$status" "$(echo "$rss / 1024" | bc -l)"
}

spaces() { head -c "$1" /dev/zero | tr '\0' ' '; }
events() { python3 -c "import sys; sys.stdout.write('[' + ','.join('{\"EventType\":\"click\",\"n\":%d,\"EventTargetText\":\"%s\"}' % (i, 'x' * 200) for i in range($1)) + ']')"; }

echo "document                                      gzip size   outcome  memory"
measure "300k realistic events"                         events 300000
measure "[ + ${gib} GiB of spaces + ]"                  sh -c "printf '['; $(declare -f spaces); spaces $((gib << 30)); printf ']'"
measure "two events, ${gib} GiB of spaces between"      sh -c "printf '[{\"a\":1}'; $(declare -f spaces); spaces $((gib << 30)); printf ',{\"b\":2}]'"
measure "one event of 1 GiB (refused at 8 MiB)"         sh -c "printf '[{\"big\":\"'; head -c $((1 << 30)) /dev/zero | tr '\\\\0' a; printf '\"}]'"
