#!/usr/bin/env python3
"""An fsexport external sink: counts each bundle's events by EventType into COUNTS_DIR/<id>.json.

It speaks the line protocol of docs/external-sinks.md on standard input and output, and makes its
output appear atomically: written to a temporary file at "end", renamed at "commit", removed at
"abort".
"""
import json
import os
import sys
from collections import Counter


def reply(ok=True, error=None):
    sys.stdout.write(json.dumps({"ok": ok, "error": error} if error else {"ok": ok}) + "\n")
    sys.stdout.flush()


def main():
    folder = os.environ.get("COUNTS_DIR", "counts")
    os.makedirs(folder, exist_ok=True)
    bundle, counts, temporary, final = None, Counter(), None, None
    while True:
        line = sys.stdin.readline()
        if not line:
            return 1  # fsexport went away without commit or abort: leave nothing behind
        message = json.loads(line)
        kind = message["fsexport"]
        if kind == "begin":
            bundle = message["bundle"]
        elif kind == "events":
            for _ in range(message["count"]):
                counts[json.loads(sys.stdin.readline()).get("EventType", "")] += 1
        elif kind == "end":
            final = os.path.join(folder, "%d.json" % bundle["id"])
            temporary = final + ".tmp"
            with open(temporary, "w") as out:
                json.dump({"bundle": bundle["id"], "counts": dict(sorted(counts.items()))}, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            reply()
        elif kind == "commit":
            os.replace(temporary, final)
            reply()
            return 0
        elif kind == "abort":
            if temporary and os.path.exists(temporary):
                os.remove(temporary)
            reply()
            return 0
        else:
            reply(False, "unknown message %r" % kind)
            return 1


if __name__ == "__main__":
    sys.exit(main())
