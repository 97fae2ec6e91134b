#!/usr/bin/env bash
# Generates fsexport's man page with swift-argument-parser's generate-manual plugin, checks that it
# documents every command, and leaves it in .build/man/fsexport.1 (read it with man -l; install it
# by copying it into a man1 folder on your MANPATH).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build/man
swift package --allow-writing-to-package-directory generate-manual --configuration debug >.build/man.log 2>&1 || { cat .build/man.log >&2; exit 1; }
cp .build/plugins/GenerateManual/outputs/fsexport/fsexport.1 .build/man/fsexport.1
for command in run validate status reset events list get simulate; do
    grep -qx "\.It Em $command" .build/man/fsexport.1 || { echo "docs/man.sh: the man page lacks the command '$command'" >&2; exit 1; }
done
grep -q "EXIT CODES" .build/man/fsexport.1 || { echo "docs/man.sh: the man page lacks the help's discussion" >&2; exit 1; }
echo ".build/man/fsexport.1"
