"""``de1-profile-as-json -v``: share codes and profile URLs against a local Visualizer look-alike."""

import io
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pyde1.profile.visualizer import (
    HttpAnswer, VisualizerError, VisualizerValueError, download_profile, profile_url_for,
    share_code_url,
)
from pyde1.tools.profile_as_json import main

DATA = Path(__file__).resolve().parent / "data" / "tcl"
PROFILE_TCL = (DATA / "hand_advanced.tcl").read_bytes()


class FakeVisualizer(BaseHTTPRequestHandler):
    release = threading.Event()   # the /slow endpoint waits for it

    def do_GET(self):  # noqa: N802 (http.server's naming)
        parts = urllib.parse.urlsplit(self.path)
        code = urllib.parse.parse_qs(parts.query).get("code", [""])[0]
        base = f"http://127.0.0.1:{self.server.server_port}"
        if parts.path == "/api/shots/shared" and code == "AB12":
            self._answer(200, json.dumps({
                "id": "c0ffee00-0000-0000-0000-000000000001", "profile_title": "x",
                "profile_url": f"{base}/api/shots/c0ffee00-0000-0000-0000-000000000001/profile",
            }).encode(), "application/json")
        elif parts.path == "/api/shots/shared" and code == "NOPF":
            self._answer(200, b'{"id": "1"}', "application/json")
        elif parts.path == "/api/shots/shared" and code == "HTML":
            self._answer(200, b"<html>maintenance</html>", "text/html")
        elif parts.path == "/api/shots/c0ffee00-0000-0000-0000-000000000001/profile":
            self._answer(200, PROFILE_TCL, "text/plain")
        elif parts.path == "/broken":
            self._answer(500, b"oops", "text/plain")
        elif parts.path == "/slow":
            self.release.wait(timeout=10)
            self._answer(200, PROFILE_TCL, "text/plain")
        else:
            self._answer(404, b'{"error": "Not found"}', "application/json")

    def _answer(self, status, body, content_type):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def visualizer():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVisualizer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    FakeVisualizer.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    # requests honours proxy variables; the local server must be reached directly
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def run(argv):
    stdout, stderr = io.BytesIO(), io.StringIO()
    status = main(argv, stdin=io.BytesIO(b""), stdout=stdout, stderr=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def test_share_code_is_resolved_and_converted(visualizer):
    status, out, err = run(["-v", "AB12", "--visualizer-base", visualizer])
    assert status == 0, err
    profile = json.loads(out)
    assert profile["title"] == "Hand made é test"
    assert profile["reference_file"] == (
        f"{visualizer}/api/shots/c0ffee00-0000-0000-0000-000000000001/profile")


def test_profile_url_is_fetched_directly(visualizer):
    url = f"{visualizer}/api/shots/c0ffee00-0000-0000-0000-000000000001/profile"
    status, out, _ = run(["--visualizer", url, "-a", "Me"])
    assert status == 0
    assert json.loads(out)["reference_file"] == url and json.loads(out)["author"] == "Me"


def test_shot_page_url_maps_to_its_profile(visualizer):
    status, out, err = run(["-v", f"{visualizer}/shots/c0ffee00-0000-0000-0000-000000000001",
                            "--visualizer-base", visualizer])
    assert status == 0, err
    assert json.loads(out)["reference_file"].endswith("/profile")


def test_dir_is_honoured_for_visualizer(visualizer, tmp_path):
    status, _, err = run(["-v", "AB12", "--visualizer-base", visualizer, "-d", str(tmp_path)])
    assert status == 0, err
    written = tmp_path / "Hand_made___test.json"
    assert json.loads(written.read_text(encoding="utf-8"))["type"] == "advanced"


def test_404_profile_url(visualizer):
    status, out, err = run(["-v", f"{visualizer}/api/shots/missing/profile"])
    assert status == 1 and out == b""
    assert err.strip() == (f"de1-profile-as-json: error: Visualizer: "
                           f"{visualizer}/api/shots/missing/profile: not found (HTTP 404)")


def test_unknown_share_code_is_404(visualizer):
    status, _, err = run(["-v", "ZZZZ", "--visualizer-base", visualizer])
    assert status == 1
    assert "no shot is shared under this code (HTTP 404)" in err


@pytest.mark.parametrize("code, reason", [
    ("NOPF", "no profile_url in the answer"),
    ("HTML", "the answer is not JSON"),
])
def test_share_answer_without_profile_url(visualizer, code, reason):
    status, _, err = run(["-v", code, "--visualizer-base", visualizer])
    assert status == 1 and reason in err


def test_server_error(visualizer):
    status, _, err = run(["-v", f"{visualizer}/broken"])
    assert status == 1 and "HTTP 500" in err


def test_timeout(visualizer):
    status, _, err = run(["-v", f"{visualizer}/slow", "--timeout", "0.3"])
    FakeVisualizer.release.set()
    assert status == 1
    assert "no answer within 0.3 s" in err


def test_no_server_listening():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, _, err = run(["-v", f"http://127.0.0.1:{port}/x", "--timeout", "5"])
    assert status == 1
    assert f"cannot connect to 127.0.0.1:{port}" in err


@pytest.mark.parametrize("value, reason", [
    ("ab!d", "a share code is 4 letters or digits"),
    ("not a url", "nor an http(s) URL"),
    ("ftp://example.org/x", "nor an http(s) URL"),
])
def test_bad_values_exit_2_without_a_request(value, reason):
    status, _, err = run(["-v", value, "--visualizer-base", "http://127.0.0.1:9"])
    assert status == 2 and reason in err


# --- the download logic without any network -------------------------------------------------

def test_download_with_injected_get():
    calls = []

    def get(url, timeout):
        calls.append((url, timeout))
        if "shared" in url:
            return HttpAnswer(200, b'{"profile_url": "https://v.example/api/shots/9/profile"}')
        return HttpAnswer(200, "profile_title Caf\u00e9".encode())

    result = download_profile(" Ab12 ", base_url="https://v.example/", timeout=2.5, get=get)
    assert calls == [("https://v.example/api/shots/shared?code=Ab12", 2.5),
                     ("https://v.example/api/shots/9/profile", 2.5)]
    assert result.url == "https://v.example/api/shots/9/profile"
    assert result.text == "profile_title Caf\u00e9"


def test_url_helpers():
    assert share_code_url("x1Y2") == "https://visualizer.coffee/api/shots/shared?code=x1Y2"
    assert profile_url_for("https://visualizer.coffee/shots/abc-1") == (
        "https://visualizer.coffee/api/shots/abc-1/profile")
    other = "https://example.org/shots/abc-1"
    assert profile_url_for(other) == other          # other hosts: fetched as given
    with pytest.raises(VisualizerValueError):
        profile_url_for("visualizer.coffee/shots/abc")
    assert issubclass(VisualizerValueError, VisualizerError)
