#!/usr/bin/env bash
# Opt-in: download one multi-GB bundle from the simulator and print the client's peak memory
# beside the bundle's size. Memory must not grow with the bundle.
#   Benchmarks/large-download.sh [EVENTS]     (default 2400000 events ≈ 2 GB stored gzip)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-2400000}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

swift build -c release --product fsexport >/dev/null
bin=.build/release/fsexport
work=$(mktemp -d)
trap 'kill $sim 2>/dev/null || true; rm -rf "$work"' EXIT

# Level 0 stores: the download is as large as the JSON, without spending minutes deflating it.
"$bin" simulate --port 0 --bundles 1 --events "$events" --gzip-level 0 --simulator-burst 1000 >"$work/url" 2>/dev/null &
sim=$!
until [ -s "$work/url" ]; do sleep 0.1; done
url=$(head -1 "$work/url")
id=$(FULLSTORY_API_KEY=simulator-key "$bin" list --json --base-url "$url" | sed 's/.*"id":\([0-9]*\).*/\1/')

echo "warming the simulator's cache (generating the bundle)..."
FULLSTORY_API_KEY=simulator-key "$bin" get "$id" -o "$work/warm.json.gz" --base-url "$url" --quiet
rm -f "$work/warm.json.gz"

FULLSTORY_API_KEY=simulator-key /usr/bin/time -v "$bin" get "$id" -o "$work/bundle.json.gz" --base-url "$url" --quiet 2>"$work/time"
size=$(stat -c %s "$work/bundle.json.gz")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
printf 'bundle: %d events, %.1f MiB downloaded and verified in %s\n' "$events" "$(echo "$size / 1048576" | bc -l)" "$wall"
printf 'fsexport get peak RSS: %.1f MiB\n' "$(echo "$rss / 1024" | bc -l)"
