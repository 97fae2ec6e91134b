#!/usr/bin/env bash
# Builds the DocC documentation of FSExportCore (the Sink API and the articles) into
# .build/docc/FSExportCore.doccarchive with the toolchain's own docc, and fails on any warning
# (a broken symbol link, an undocumented parameter that is named).
set -euo pipefail
cd "$(dirname "$0")/.."
graphs=.build/docc/symbol-graphs
rm -rf .build/docc && mkdir -p "$graphs" .build/docc/all-graphs
swift build --target FSExportCore -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/.build/docc/all-graphs"
cp .build/docc/all-graphs/FSExport*.symbols.json "$graphs/"   # ours only, not the dependencies'
log=$(docc convert Sources/FSExportCore/FSExportCore.docc --additional-symbol-graph-dir "$graphs" \
    --output-path .build/docc/FSExportCore.doccarchive \
    --fallback-display-name FSExportCore --fallback-bundle-identifier fsexport.core 2>&1)
# Apple's own pages are not resolvable offline; every other warning is ours to fix.
if grep "warning:" <<<"$log" | grep -qv "No external resolver"; then
    printf '%s\n' "$log" | grep -v "No external resolver"
    exit 1
fi
echo "documentation: .build/docc/FSExportCore.doccarchive"
