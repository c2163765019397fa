"""kill -9 of the service mid-shot: the file passes integrity_check and holds every sample
whose commit was acknowledged (DatabaseCommitted) before the kill."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, threading, time
from actors.service import Part, Service
from pyde1.config import load_config_text
from pyde1.db.events import DatabaseCommitted
from pyde1.db.synthetic import espresso_shot

config = load_config_text("database:\n  FILENAME: " + sys.argv[1] + "\n")
service = Service(config, parts=(Part("database", "actors.db", "database_spec"),))
service.start()
total = [0]

def on_commit(event):
    total[0] += event.samples
    print(f"committed {total[0]}", flush=True)

service.bus.add_callback(on_commit, (DatabaseCommitted,))
shot = espresso_shot(time.time(), flow_seconds=600, sample_period=0.01)
print("publishing", flush=True)
pace = threading.Event()
for event in shot.events:
    service.bus.publish(event)
    pace.wait(0.001)  # a busy but realistic feed: about 1000 events/s
"""


def read_line(proc: subprocess.Popen, deadline: float) -> str:
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "the child did not report in time"
        ready, _, _ = select.select([proc.stdout], [], [], remaining)
        if ready:
            line = proc.stdout.readline()
            assert line, f"the child exited early: {proc.stderr.read()}"
            return line.strip()


def test_kill_9_mid_shot_keeps_every_acknowledged_sample(sqlite_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(sqlite_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        acknowledged = 0
        commits = 0
        while acknowledged < 1500 or commits < 4:
            line = read_line(proc, deadline)
            if line.startswith("committed "):
                acknowledged = int(line.split()[1])
                commits += 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(sqlite_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = conn.execute("SELECT COUNT(*) FROM shot_sample_with_volume_update").fetchone()[0]
        assert conn.execute("PRAGMA user_version").fetchone() == (3,)
        open_rows = conn.execute("SELECT COUNT(*) FROM sequence WHERE id != 'dummy' AND end_sequence IS NULL"
                                 ).fetchone()[0]
    finally:
        conn.close()
    assert stored >= acknowledged > 0
    assert open_rows == 1  # the shot that was running, its master row left open
