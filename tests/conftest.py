"""Fixtures for real parts: a private mosquitto, a temporary SQLite file, free ports,
the shared corpus, and a bus + role table for scripted actor tests."""

from __future__ import annotations

import sys
from pathlib import Path

import os

import pykka
import pytest
from hypothesis import HealthCheck, settings

# No per-example deadline (CI machines stall); in CI, derandomized so a run is repeatable.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True,
                          database=None)
settings.load_profile("ci" if os.environ.get("PYDE1_CI") else "default")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tests"))

from support.broker import MosquittoBroker, find_mosquitto, free_port  # noqa: E402
from support.recorder import EventRecorder  # noqa: E402


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): corpus and reference tests need it")
    return SHARED


@pytest.fixture(scope="session")
def mosquitto_session():
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (./scripts/test installs it when run as root with apt)")
    with MosquittoBroker() as broker:
        yield broker


@pytest.fixture
def mosquitto(tmp_path):
    """A broker of the test's own (it may stop and restart it)."""
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (./scripts/test installs it when run as root with apt)")
    broker = MosquittoBroker(workdir=str(tmp_path))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def sqlite_path(tmp_path) -> Path:
    return tmp_path / "pyde1-test.sqlite3"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def serve_wsgi():
    """Serve a WSGI app with a real waitress server on a free loopback port; returns its base URL."""
    import threading

    from waitress.server import create_server

    servers = []

    def serve(app, **kw) -> str:
        server = create_server(app, host="127.0.0.1", port=0, **kw)
        thread = threading.Thread(target=server.run, name="test-waitress", daemon=True)
        thread.start()
        servers.append((server, thread))
        host, port = server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    yield serve
    for server, thread in servers:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def runtime():
    """A bus and a role table, and every actor stopped at the end of the test."""
    from actors.base import ServiceContext
    from actors.bus import EventBus, RoleTable

    roles = RoleTable()
    bus = EventBus(roles)
    ctx = ServiceContext(config=None, bus=bus, roles=roles)
    recorder = EventRecorder(bus)
    ctx.extras["recorder"] = recorder
    yield ctx
    recorder.close()
    pykka.ActorRegistry.stop_all(block=True, timeout=10)
