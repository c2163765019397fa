"""pyde1-firmware against a real ``pyde1-run --simulate`` service (subprocess), with small
synthetic images built with the codec's own header encoder."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from actors.soak.process import ServiceProcess
from actors.tools import firmware_cli
from pyde1.protocol.firmware import BOARD_MARKER_DE1, FirmwareHeader

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "firmware-cli-test-token"
T = 30.0


def image(size: int, build: int = 1352) -> bytes:
    header = FirmwareHeader(checksum=1, board_marker=BOARD_MARKER_DE1, version=build,
                            byte_count=size - 64, cpu_bytes=size - 64, unused=0, dc_sum=2,
                            iv=b"\x01" * 32, h_sum=3)
    return header.encode() + bytes(i % 251 for i in range(size - 64))


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def cli(*args: str, timeout: float = T) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: stdout is a pipe (not a terminal), so progress comes as lines."""
    return subprocess.run([sys.executable, "-m", "actors.tools.firmware_cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def start_service(workdir: Path, start_state: str) -> ServiceProcess:
    service = ServiceProcess(workdir, speedup=100, start_state=start_state, control=False,
                             env={"PYDE1_HTTP__API_TOKENS": f"[{TOKEN}]"})
    service.start()
    try:
        service.wait_http(timeout=T)
        service.wait_de1_ready(timeout=T)
    except Exception:
        service.kill()
        raise
    return service


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = start_service(tmp_path_factory.mktemp("fw-service"), "Idle")
    yield svc
    svc.stop()


def url(svc: ServiceProcess) -> str:
    return f"http://127.0.0.1:{svc.http_port}"


# -- local checks --------------------------------------------------------------------------------

def test_info_prints_the_parsed_header(tmp_path, capsys):
    path = write(tmp_path, "fw.bin", image(1000, build=1340))
    assert firmware_cli.main(["info", path]) == 0
    out = capsys.readouterr().out
    assert "build:       1340" in out
    assert "board:       0xDE100001 (DE1)" in out
    assert "size:        1000 bytes" in out
    assert "chunks:      63 writes of 16 bytes" in out          # ceil(1000 / 16)
    assert firmware_cli.main(["info", path, "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert (as_json["build"], as_json["chunks"], as_json["cpu_bytes"]) == (1340, 63, 936)


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def _any(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    do_GET = do_PUT = do_PATCH = _any

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("damage,reason", [
    (lambda d: d[:4] + b"\x01\x00\x10\xdf" + d[8:], "BoardMarker 0xDF100001 is not a DE1's"),
    (lambda d: d[:100], "ByteCount 936 is not within 1..36"),              # truncated file
    (lambda d: d[:20] + b"\x07\x00\x00\x00" + d[24:], "Unused is 7"),
    (lambda d: d[:30], "shorter than the 64-byte header"),
])
def test_corrupt_file_is_refused_before_anything_is_sent(tmp_path, recorder, capsys, damage, reason):
    address, seen = recorder
    path = write(tmp_path, "bad.bin", damage(image(1000)))
    assert firmware_cli.main(["upload", path, "--url", address, "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a usable DE1 firmware image" in err and reason in err
    assert seen == [], "nothing may be sent for a bad file"
    assert firmware_cli.main(["info", path]) == 2


def test_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert firmware_cli.main(["info", str(tmp_path / "nope.bin")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pyde1-firmware: cannot read") and err.count("\n") == 1


def test_unreachable_service_is_a_one_line_error(tmp_path, capsys):
    path = write(tmp_path, "fw.bin", image(1000))
    assert firmware_cli.main(["upload", path, "--url", "http://127.0.0.1:1", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the pyde1 service at http://127.0.0.1:1/" in err and err.count("\n") == 1


@pytest.mark.parametrize("option, value, reason", [
    ("--url", "notaurl", "is not an http:// or https:// address with a host"),
    ("--url", "http://[::1", "is not a URL"),
    ("--url", "http://127.0.0.1:99999", "is not a URL"),
    ("--timeout", "-1", "must be a number of seconds above 0"),
    ("--timeout", "nan", "must be a number of seconds above 0"),
    ("--interval", "0", "must be a number of seconds above 0"),
    ("--interval", "soon", "is not a number of seconds"),
])
def test_bad_options_are_usage_errors_not_tracebacks(tmp_path, capsys, option, value, reason):
    path = write(tmp_path, "fw.bin", image(1000))
    with pytest.raises(SystemExit) as exit_:
        firmware_cli.main(["upload", path, "--yes", option, value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"argument {option}: " in err and reason in err
    assert "Traceback" not in err


# -- against the simulated service -------------------------------------------------------------

def test_upload_shows_progress_and_verifies(service, tmp_path):
    data = image(200_000)
    path = write(tmp_path, "fw.bin", data)
    r = cli("upload", path, "--url", url(service), "--token", TOKEN, "--yes", "--interval", "0.05")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    percents = [int(line.split()[2].rstrip("%")) for line in lines
                if line.startswith("firmware upload:") and line.endswith("bytes)")]
    assert percents[-1] == 100 and percents == sorted(percents)
    assert len(percents) >= 2, f"expected progress while writing, got:\n{r.stdout}"
    assert "firmware upload: 100% (200000/200000 bytes)" in lines
    assert "upload completed: the DE1 verified all 200000 bytes of build 1352" in lines
    # the simulated DE1 keeps running its old build until restarted, as a real one does
    assert "the DE1 still reports build 1333; build 1352 starts after the DE1 is restarted" in r.stdout
    status = cli("status", "--url", url(service))
    assert status.returncode == 0, status.stderr
    assert "firmware build 1333" in status.stdout
    assert "firmware upload: none running (last: completed)" in status.stdout


def test_without_the_token_the_service_refusal_is_one_line(service, tmp_path):
    path = write(tmp_path, "fw.bin", image(1000))
    r = cli("upload", path, "--url", url(service), "--yes")
    assert r.returncode == 1
    assert r.stderr.startswith("pyde1-firmware: the service refused the upload (401): ")
    assert r.stderr.count("\n") == 1


def test_upload_already_running_is_refused_with_the_service_message(service, tmp_path):
    status, body = service.request("PUT", "de1/firmware", image(1_000_000),
                                   headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    try:
        path = write(tmp_path, "fw.bin", image(1000))
        r = cli("upload", path, "--url", url(service), "--token", TOKEN, "--yes")
        assert r.returncode == 1
        assert r.stderr.startswith("pyde1-firmware: the service refused the upload (409): ")
        assert "already running" in r.stderr and r.stderr.count("\n") == 1
        running = cli("status", "--url", url(service))
        assert "firmware upload: erasing" in running.stdout or "firmware upload: writing" in running.stdout
    finally:
        service.request("PUT", "de1/firmware/cancel", b"", headers={"Authorization": f"Bearer {TOKEN}"})


def test_ctrl_c_asks_the_service_to_cancel(service, tmp_path):
    path = write(tmp_path, "big.bin", image(1_000_000))
    proc = subprocess.Popen([sys.executable, "-m", "actors.tools.firmware_cli", "upload", path,
                             "--url", url(service), "--token", TOKEN, "--yes", "--interval", "0.05"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        for line in proc.stdout:                     # wait until bytes are being written
            if line.endswith("bytes)\n"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=T)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out + err
    assert "asking the service to cancel" in out and "upload canceled" in err
    status = cli("status", "--url", url(service))
    assert "firmware upload: none running (last: canceled)" in status.stdout


def test_machine_not_idle_is_refused_naming_its_state(tmp_path):
    busy = start_service(tmp_path / "busy", "Descale")
    try:
        path = write(tmp_path, "fw.bin", image(1000))
        r = cli("upload", path, "--url", url(busy), "--token", TOKEN, "--yes")
        assert r.returncode == 1, r.stdout + r.stderr
        assert r.stderr.startswith("pyde1-firmware: the DE1 is in Descale (")
        assert "needs it Idle or Sleep: nothing was sent" in r.stderr and r.stderr.count("\n") == 1
        assert cli("status", "--url", url(busy)).stdout.startswith("DE1: Descale")
        # no upload was started
        assert "firmware upload: none running\n" in cli("status", "--url", url(busy)).stdout
        # a DE1 that is not connected: the service's 409 message, on one line
        status, _ = busy.request("PATCH", "de1/availability", {"mode": "R"},
                                 headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        # the release is asynchronous: wait (with a deadline) until the gateway knows of it
        busy._poll("DE1 released", lambda: busy.get("de1/state", timeout=1)[0] == 409, T)
        released = cli("upload", path, "--url", url(busy), "--token", TOKEN, "--yes")
        assert released.returncode == 1
        assert released.stderr.startswith("pyde1-firmware: cannot read the DE1's state: the service answered 409: ")
        assert "DE1 not connected" in released.stderr or "DE1 not ready" in released.stderr
        assert released.stderr.count("\n") == 1
    finally:
        busy.stop()


# -- answers a real DE1 gives rarely, from a scripted service ---------------------------------------

class _Scripted(BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, str]] = {}
    seen: list[str] = []

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        key = f"{self.command} {self.path}"
        self.seen.append(key)
        status, text = self.answers.get(key, (404, "Unrecognized resource"))
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = _any

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def scripted():
    _Scripted.seen = []
    _Scripted.answers = {
        "GET /de1/state": (200, json.dumps({"state": {"state": "Idle", "substate": "NoState"}})),
        "GET /de1/firmware/id": (200, json.dumps({"id": 1333})),
        "PUT /de1/firmware": (200, "[]"),
        "GET /health": (503, json.dumps({"actors": {"de1": {"health": {"firmware_upload": {
            "phase": None, "uploaded": 512, "total": 1000,
            "last_result": "failed: the DE1 reports a bad block at 0x000040"}}}}})),
    }
    server = HTTPServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Scripted
    server.shutdown()
    server.server_close()


def test_a_failed_check_by_the_de1_is_reported(tmp_path, scripted, capsys):
    address, script = scripted
    path = write(tmp_path, "fw.bin", image(1000))
    assert firmware_cli.main(["upload", path, "--url", address, "--yes", "--interval", "0.01"]) == 1
    err = capsys.readouterr().err
    assert err == "pyde1-firmware: upload failed: the DE1 reports a bad block at 0x000040\n"
    assert script.seen[:3] == ["GET /de1/state", "GET /de1/firmware/id", "PUT /de1/firmware"]


def test_a_service_without_a_de1_part_is_one_line(tmp_path, scripted, capsys):
    address, script = scripted
    script.answers["GET /de1/state"] = (503, "DeviceUnavailableError('DE1 is unavailable: given up')")
    path = write(tmp_path, "fw.bin", image(1000))
    assert firmware_cli.main(["upload", path, "--url", address, "--yes"]) == 1
    assert capsys.readouterr().err == ("pyde1-firmware: cannot read the DE1's state: the service answered 503: "
                                       "DeviceUnavailableError('DE1 is unavailable: given up')\n")
    assert "PUT /de1/firmware" not in script.seen


def test_the_bar_is_redrawn_in_place_on_a_terminal():
    import io
    out = io.StringIO()
    ticks = iter([0.0, 10.0, 20.0])
    bar = firmware_cli.Progress(out, tty=True, clock=lambda: next(ticks))
    bar.show("writing", 250, 1000)
    bar.show("writing", 500, 1000)
    bar.end()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "[#######.......................]  25%  250/1000 bytes" in text
    assert "about 30 s left" in text     # 250 bytes in 10 s: 750 more take 30 s
    assert "[###############...............]  50%  500/1000 bytes" in text
