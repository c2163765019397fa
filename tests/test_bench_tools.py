"""The benchmark's own tools: the out-of-process HTTP load generator and the Markdown report."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from actors.bench.report import render

ROOT = Path(__file__).resolve().parent.parent


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/hang-up":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = b'{"ok": true}'
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _loadgen(port: int, path: str, clients: int = 4, seconds: float = 0.5) -> dict:
    r = subprocess.run([sys.executable, "-m", "actors.bench.loadgen", "--port", str(port), "--path", path,
                        "--clients", str(clients), "--seconds", str(seconds), "--timeout", "5"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_loadgen_counts_answers_errors_and_hang_ups():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        ok = _loadgen(port, "/ok")
        assert ok["requests"] > 10 and ok["errors"] == 0 and ok["unanswered"] == 0
        assert 0 < ok["p50_ms"] <= ok["p99_ms"] <= ok["max_ms"]
        assert ok["requests_per_second"] > 0
        missing = _loadgen(port, "/nope", clients=1)
        assert missing["requests"] == 0 and missing["errors"] >= 1 and "HTTP 404" in missing["error_examples"]
        hung = _loadgen(port, "/hang-up", clients=3)
        assert hung["requests"] == 0 and hung["unanswered"] == 3
    finally:
        server.shutdown()
        server.server_close()


def test_report_renders_every_figure_and_failure():
    doc = {"started": "2026-11-25T18:00:00+0000", "git_revision": "abc", "machine": {"cpus": 2},
           "benchmarks": {
               "startup": {"description": "launch", "seconds": 3.2, "figures": [
                   {"figure": "launch to HTTP ready", "unit": "s", "runs": 5, "min": 0.31,
                    "median": 0.344, "max": 0.36, "note": "a | b"}]},
               "broken": {"description": "x", "error": "RuntimeError: no broker"}}}
    text = render(doc)
    assert "| launch to HTTP ready | s | 5 | 0.31 | 0.344 | 0.36 | a / b |" in text
    assert "Failed: `RuntimeError: no broker`" in text
    assert "git `abc`" in text
