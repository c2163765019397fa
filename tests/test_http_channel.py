"""The waitress channel that keeps the server loop from spinning while a worker writes."""

from __future__ import annotations

import socket
import threading

import pytest
from waitress.adjustments import Adjustments

from actors.http.channel import WorkerAwareChannel
from actors.http.server import HttpServer
from pyde1.api.settings import HttpSettings


class _Server:
    """What HTTPChannel's constructor and add_channel touch of its server."""

    def __init__(self) -> None:
        self.active_channels: dict = {}


@pytest.fixture
def channel():
    ours, theirs = socket.socketpair()
    ch = WorkerAwareChannel(_Server(), ours, ("127.0.0.1", 1), Adjustments(), map={})
    yield ch
    ch.close()
    theirs.close()


def _held_elsewhere(lock):
    """Hold ``lock`` in another thread until the returned event is set."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        with lock:
            taken.set()
            release.wait(10)

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    assert taken.wait(10)
    return release, t


def test_not_writable_while_a_worker_holds_the_output_lock(channel):
    channel.requests = [object()]      # a worker is serving a request on this channel
    channel.total_outbufs_len = 100    # and has output that the loop sees
    release, holder = _held_elsewhere(channel.outbuf_lock)
    try:
        assert not channel.writable()  # the loop could only fail to take the lock: no select
    finally:
        release.set()
        holder.join(10)
    assert channel.writable()          # lock free: output left behind is the loop's to send


def test_writable_as_waitress_decides_when_no_worker_is_writing(channel):
    assert not channel.writable()      # nothing to send
    channel.total_outbufs_len = 10
    assert channel.writable()          # no request being served: the loop sends it
    channel.total_outbufs_len = 0
    channel.requests = [object()]
    channel.will_close = True
    release, holder = _held_elsewhere(channel.outbuf_lock)
    try:
        assert channel.writable()      # closing is always the loop's business
    finally:
        release.set()
        holder.join(10)


def _app(environ, start_response):
    """A response far larger than loopback's socket buffers (32 MB), in chunks: the worker is still serving
    while the loop has to send what the worker could not."""
    chunk = b"x" * (4 << 20)
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(8 * len(chunk)))])
    return (chunk for _ in range(8))


def test_a_response_larger_than_the_socket_buffers_is_delivered_whole():
    server = HttpServer(_app, HttpSettings(host="127.0.0.1", port=0, threads=2))
    assert server._server.channel_class is WorkerAwareChannel
    server.start()
    try:
        with socket.create_connection((server.host, server.port), timeout=20) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            received = bytearray()
            while len(received) < (32 << 20) + 100:  # the head is ~150 bytes
                data = s.recv(1 << 20)
                if not data:
                    break
                received += data
        head, _, body = bytes(received).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert body == b"x" * (32 << 20)
    finally:
        server.stop()
