#!/usr/bin/env bash
# Fuzzes fsexport's parsers with libFuzzer: builds the fuzz programs with coverage and
# AddressSanitizer (in .build-fuzz; fuzz-parsers holds every parser's target, fuzz-inflate the
# inflater's), then runs each target for SECONDS, two at a time, starting from Fuzz/corpus/TARGET
# (the pipeline target also from examples/). Exits non-zero on the first crash, failed property,
# leak or memory blow-up, and prints the input that caused it.
#
#   Fuzz/run.sh            # 60 s a target
#   Fuzz/run.sh 600        # a long campaign: 10 minutes a target
#   Fuzz/run.sh 30 fuzz-pipeline fuzz-templates
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
# By default every target: each has a corpus folder in Fuzz/corpus (FuzzCorpusTests checks that
# each folder has a target).
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd Fuzz/corpus && ls -d fuzz-* | sort)

toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")"
runtime="$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)"
flags=(-c debug --scratch-path .build-fuzz
    -Xswiftc -sanitize=address -Xcc -fsanitize=address -Xswiftc -DFUZZING
    -Xswiftc -sanitize-coverage=edge,trace-cmp,indirect-calls,pc-table,inline-8bit-counters
    -Xlinker "$runtime" -Xlinker -lstdc++)
# The program that runs a target: fuzz-inflate is its own; every other is fuzz-parsers TARGET.
program() { if [ "$1" = fuzz-inflate ]; then echo fuzz-inflate; else echo fuzz-parsers; fi; }
mapfile -t programs < <(for target in "${targets[@]}"; do program "$target"; done | sort -u)
for product in "${programs[@]}"; do
    echo "building $product" >&2
    # A failed build leaves no program: removed first, so that an older one cannot stand in.
    rm -f ".build-fuzz/debug/$product"
    swift build "${flags[@]}" --product "$product" 2>&1 | grep -E "error|warning: " | grep -v "Cannot export local symbol" >&2 || true
    [ -x ".build-fuzz/debug/$product" ] || { echo "building $product failed" >&2; exit 1; }
done

mkdir -p .build-fuzz/artifacts
fuzz() {
    local target="$1" work=".build-fuzz/corpus/$1"
    local seeds=("Fuzz/corpus/$target")
    [ "$target" = fuzz-pipeline ] && seeds+=(examples)
    mkdir -p "$work"
    # Inputs up to 64 KiB; 1 GiB of memory at most (an alias bomb or a whitespace document must not
    # come near it); 10 s per input at most.
    local command=(".build-fuzz/debug/$(program "$target")")
    [ "$target" = fuzz-inflate ] || command+=("$target")
    if "${command[@]}" "$work" "${seeds[@]}" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 \
        -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 -artifact_prefix=".build-fuzz/artifacts/$target-" \
        > ".build-fuzz/$target.log" 2>&1; then
        echo "$target: $(grep -E '^stat::number_of_executed_units' ".build-fuzz/$target.log" | awk '{print $2}') inputs in ${seconds}s, $(grep -oE 'cov: [0-9]+' ".build-fuzz/$target.log" | tail -1), no failure"
    else
        echo "$target FAILED; its log is .build-fuzz/$target.log, the input:" >&2
        grep -E "property failed|Fatal error|ERROR:|Test unit written" ".build-fuzz/$target.log" | head -5 >&2
        return 1
    fi
}

status=0
pids=()
for target in "${targets[@]}"; do
    fuzz "$target" & pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
