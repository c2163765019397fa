"""An HTTP load generator in a process of its own: N keep-alive connections, each sending one
``GET`` after the other for a fixed time, driven by one asyncio loop.

    python -m actors.bench.loadgen --port 8080 --path /version --clients 64 --seconds 5

prints one JSON object: requests, requests/s, p50/p99/max latency in ms, unanswered requests
and errors. Why a process and not threads of the benchmark: with 64 Python client threads in
the benchmark, a client's measured latency included the time it waited for its *own*
process's GIL (and the benchmark's MQTT subscriber waited behind them too), so the tail
measured the load generator as much as the service. One event loop with pre-built request
bytes costs the service's machine little and adds no lock of its own to the figures.

A request that gets no complete answer within ``--timeout`` seconds, or whose connection is
closed or refused, counts as unanswered (pyDE1's failure mode under 64 clients).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from actors.bench.figures import percentile


class _Connection(asyncio.Protocol):
    """One keep-alive client. Parses just enough of HTTP/1.1: status line and Content-Length."""

    def __init__(self, run: "_Run") -> None:
        self.run = run
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.sent_at = 0.0
        self.waiting = False
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self) -> None:
        self.buffer.clear()
        self.waiting = True
        self.sent_at = time.perf_counter()
        self.transport.write(self.run.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        at = head.find(b"content-length:")
        if at >= 0:
            eol = head.find(b"\r\n", at)
            length = int(head[at + 15:eol if eol > 0 else None])
        if len(self.buffer) < end + 4 + length:
            return
        now = time.perf_counter()
        self.waiting = False
        status = head[9:12]
        if status == b"200":
            self.run.latencies.append(now - self.sent_at)
            if self.run.trace is not None:
                self.run.trace.append((self.sent_at, now - self.sent_at))
        else:
            self.run.errors.append(f"HTTP {status.decode(errors='replace')}")
        if now < self.run.stop_at and b"connection: close" not in head:
            self.send()
        else:  # the load is over (or the server ends the connection): nothing more to send
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if self.waiting:
            self.waiting = False
            self.run.unanswered += 1
            self.run.errors.append(f"connection lost: {exc or 'closed by server'}")
        if not self.closed.done():
            self.closed.set_result(None)


class _Run:
    def __init__(self, host: str, port: int, path: str, clients: int, seconds: float, timeout: float) -> None:
        self.host, self.port, self.clients, self.seconds, self.timeout = host, port, clients, seconds, timeout
        self.request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.unanswered = 0
        self.stop_at = 0.0
        self.trace: list[tuple[float, float]] | None = None  # (sent, latency) with --trace

    async def client(self, connected: asyncio.Event, go: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Connection(self), self.host, self.port), self.timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            self.unanswered += 1
            self.errors.append(f"connect: {type(exc).__name__}: {exc}")
            connected.set()
            return
        connected.set()
        await go.wait()
        conn.send()
        # Until the load ends, then at most ``timeout`` for the last answer.
        try:
            await asyncio.wait_for(asyncio.shield(conn.closed), self.seconds + self.timeout)
        except asyncio.TimeoutError:
            pass
        if conn.waiting and time.perf_counter() - conn.sent_at >= self.timeout:
            conn.waiting = False
            self.unanswered += 1
            self.errors.append(f"no answer within {self.timeout} s")
        conn.transport.close()

    async def main(self) -> dict[str, Any]:
        go = asyncio.Event()
        ready = [asyncio.Event() for _ in range(self.clients)]
        tasks = [asyncio.create_task(self.client(e, go)) for e in ready]
        for e in ready:  # connecting is not part of the measured time
            await e.wait()
        t0 = time.perf_counter()
        self.stop_at = t0 + self.seconds
        go.set()
        # Each connection closes itself with the first answer after stop_at (data_received);
        # a client gives up on its last request ``timeout`` later.
        await asyncio.gather(*tasks, return_exceptions=True)
        return self.report(time.perf_counter() - t0)

    def report(self, elapsed: float) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "clients": self.clients, "seconds": round(elapsed, 3), "requests": len(ms),
            "requests_per_second": round(len(ms) / self.seconds, 1),
            "p50_ms": round(percentile(ms, 50), 3) if ms else None,
            "p99_ms": round(percentile(ms, 99), 3) if ms else None,
            "max_ms": round(max(ms), 3) if ms else None,
            "unanswered": self.unanswered, "errors": len(self.errors),
            "error_examples": sorted(set(self.errors))[:5],
        }


def measure(port: int, path: str, clients: int, seconds: float, host: str = "127.0.0.1",
            timeout: float = 30.0) -> dict[str, Any]:
    """Run this load generator as a process of its own and return its report."""
    done = subprocess.run(
        [sys.executable, "-m", "actors.bench.loadgen", "--host", host, "--port", str(port), "--path", path,
         "--clients", str(clients), "--seconds", str(seconds), "--timeout", str(timeout)],
        capture_output=True, text=True, cwd=str(Path(__file__).resolve().parents[2]),
        timeout=seconds + timeout + 90)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m actors.bench.loadgen", description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/version")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--timeout", type=float, default=30.0, help="a request unanswered this long is lost")
    p.add_argument("--trace", metavar="FILE", help="also write every request's [sent, latency] (s) as JSON")
    a = p.parse_args(argv)
    if a.clients < 1 or a.seconds <= 0 or a.timeout <= 0:
        p.error("--clients must be >= 1, --seconds and --timeout > 0")
    run = _Run(a.host, a.port, a.path, a.clients, a.seconds, a.timeout)
    if a.trace:
        run.trace = []
    result = asyncio.run(run.main())
    if a.trace:
        with open(a.trace, "w") as f:
            json.dump(run.trace, f)
    result["path"] = a.path
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
