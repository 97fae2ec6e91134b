#!/usr/bin/env python3
"""Serves one hostile bundle as the export API would (LIST, then GET of a gzip file), on
loopback, for Benchmarks/hostile-memory.sh. Usage: hostile-memory.py FILE.json.gz PORTFILE"""
import http.server
import sys

BUNDLE = sys.argv[1]
LIST = b'{"exports":[{"Id":170406720048,"Start":1704067200,"Stop":1704153600}]}'


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/api/v1/export/list"):
            body = LIST if "start=0" in self.path else b'{"exports":[]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with open(BUNDLE, "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
