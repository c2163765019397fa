"""pyde1-disconnect-btid.sh with a fake bluetoothctl on PATH."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pyde1-disconnect-btid.sh"

FAKE_BLUETOOTHCTL = """#!/bin/sh
echo "$@" >> "$FAKE_LOG"
if [ "$1" = info ]; then
    case " $CONNECTED " in *" $2 "*) echo "Device $2"; echo "	Connected: yes";; *) echo "	Connected: no";; esac
fi
exit 0
"""


def _run(tmp_path: Path, connected: str, suffix: str | None = None):
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "bluetoothctl"
    fake.write_text(FAKE_BLUETOOTHCTL)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.log"
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "SEARCH_DIR": str(tmp_path / "lib"),
           "CONNECTED": connected, "FAKE_LOG": str(log)}
    if suffix:
        env["SUFFIX"] = suffix
    r = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    calls = log.read_text().splitlines() if log.exists() else []
    return r, calls


def test_disconnects_connected_and_removes_files(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "D9B248AABBCC.btid").write_text("D9:B2:48:AA:BB:CC")
    (lib / "001122334455.btid").write_text("00:11:22:33:44:55")
    (lib / "keep.txt").write_text("not a btid file")
    r, calls = _run(tmp_path, connected="D9:B2:48:AA:BB:CC")
    assert r.returncode == 0
    assert "disconnect D9:B2:48:AA:BB:CC" in calls
    assert not any(c.startswith("disconnect 00:11") for c in calls)
    assert sorted(p.name for p in lib.iterdir()) == ["keep.txt"]


def test_rejects_bad_files_but_exits_zero(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "AABBCCDDEEFF.btid").write_text("AA:BB:CC:DD:EE:FF\n")       # trailing newline
    (lib / "BADBADBADBAD.btid").write_text("rm -rf /; AA:BB")             # not an address
    r, calls = _run(tmp_path, connected="AA:BB:CC:DD:EE:FF")
    assert r.returncode == 0
    assert calls == []  # bluetoothctl never called with unvalidated content
    assert "contains a newline" in r.stderr and "not a Bluetooth address" in r.stderr
    assert len(list(lib.iterdir())) == 2  # invalid files are left for a human to look at


def test_honours_suffix_and_missing_directory(tmp_path):
    r, calls = _run(tmp_path, connected="")
    assert r.returncode == 0 and "not a directory" in r.stderr
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "AABBCCDDEEFF.id").write_text("AA:BB:CC:DD:EE:FF")
    r, calls = _run(tmp_path, connected="AA:BB:CC:DD:EE:FF", suffix=".id")
    assert "disconnect AA:BB:CC:DD:EE:FF" in calls and not (lib / "AABBCCDDEEFF.id").exists()
