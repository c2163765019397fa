"""``pyde1-firmware``: check a DE1 firmware image and upload it through a running pyde1.

    pyde1-firmware info FILE [--json]
    pyde1-firmware upload FILE [--url URL] [--token T] [--yes] [--interval S]
    pyde1-firmware status [--url URL]

``upload`` checks the file here first (nothing is sent for a wrong or corrupt image), asks the
service for the DE1's state (Idle or Sleep only: the upload puts the DE1 to sleep and nothing
else may run for the ~50 minutes it takes over Bluetooth), starts the upload with
``PUT de1/firmware``, follows its progress in ``GET health`` (the DE1 actor's
``firmware_upload``: phase, uploaded, total, last_result) and finally reads
``de1/firmware/id``. Ctrl-C asks the service to cancel (``PUT de1/firmware/cancel``).

Exit status: 0 done, 1 refused or failed (one line on stderr, the service's own message when it
gave one), 2 usage or an unusable file, 130 canceled with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, TextIO

from pyde1.protocol.errors import FirmwareImageError
from pyde1.protocol.firmware import BOARD_MARKER_DE1, HEADER_SIZE, MAX_IMAGE_SIZE, FirmwareHeader, FirmwareImage
from pyde1.protocol.mmr_packets import MAX_DATA

PROG = "pyde1-firmware"
DEFAULT_URL = "http://127.0.0.1:1234"
UPLOADABLE_STATES = ("Idle", "Sleep")
SECONDS_PER_CHUNK = 0.104     # measured per BLE write in pyDE1's log (de1-ble-protocol.md §7.4)
LOST_SERVICE_GRACE = 30.0     # seconds of unanswered progress polls before giving up


class Refused(Exception):
    """A problem to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# -- talking to the service -------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            raise Refused(f"the service answered {self.status} with something that is not JSON: "
                          f"{_one_line(self.text)}") from None


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


class Service:
    def __init__(self, url: str, token: str | None = None, timeout: float = 20.0) -> None:
        self.url = url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/octet-stream") -> Answer:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        if self.token and method != "GET":
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return Answer(resp.status, resp.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.read().decode("utf-8", "replace"))
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Refused(f"cannot reach the pyde1 service at {self.url}: {reason}") from None

    def get_json(self, path: str, what: str) -> Any:
        answer = self.request("GET", path)
        if not answer.ok:
            raise Refused(f"{what}: the service answered {answer.status}: {_one_line(answer.text)}")
        return answer.json()

    def firmware_progress(self) -> dict[str, Any] | None:
        """The DE1 actor's ``firmware_upload`` from ``GET health`` (200 or 503 both carry the
        report), or None when the report has none (DE1 actor busy, absent or restarting)."""
        answer = self.request("GET", "health")
        if answer.status not in (200, 503):
            raise Refused(f"progress: the service answered {answer.status}: {_one_line(answer.text)}")
        report = answer.json()
        de1 = (report.get("actors") or {}).get("de1") or {}
        progress = (de1.get("health") or {}).get("firmware_upload")
        return progress if isinstance(progress, dict) else None


# -- the image ---------------------------------------------------------------------------------

def load_image(path: str) -> FirmwareImage:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}", 2) from None
    try:
        return FirmwareImage.parse(data)
    except FirmwareImageError as exc:
        reason = exc.reason
        if len(data) >= HEADER_SIZE:
            header = FirmwareHeader.parse(data)
            missing = HEADER_SIZE + header.byte_count - len(data)
            if header.board_marker == BOARD_MARKER_DE1 and 0 < missing < MAX_IMAGE_SIZE:
                reason += f" (the file is {missing} bytes shorter than its header says: an incomplete download?)"
        raise Refused(f"{path} is not a usable DE1 firmware image: {reason}", 2) from None


def describe(image: FirmwareImage, path: str) -> dict[str, Any]:
    h = image.header
    return {"file": path, "size": len(image.data), "build": h.version,
            "board": f"0x{h.board_marker:08X}", "byte_count": h.byte_count, "cpu_bytes": h.cpu_bytes,
            "ble_bytes": h.byte_count - h.cpu_bytes, "chunk_size": MAX_DATA,
            "chunks": image.chunk_count,
            "estimated_upload_s": round(image.chunk_count * SECONDS_PER_CHUNK),
            "header": h.to_dict()}


def _minutes(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def print_info(d: dict[str, Any], out: TextIO) -> None:
    h = d["header"]
    board = "DE1" if d["board"] == f"0x{BOARD_MARKER_DE1:08X}" else "not a DE1"
    rows = [("file", d["file"]), ("size", f"{d['size']} bytes ({HEADER_SIZE}-byte header + body)"),
            ("build", d["build"]), ("board", f"{d['board']} ({board})"),
            ("body", f"{d['byte_count']} bytes: CPU {d['cpu_bytes']}, BLE module {d['ble_bytes']}"),
            ("chunks", f"{d['chunks']} writes of {d['chunk_size']} bytes"),
            ("checksums", f"CheckSum {h['CheckSum']}, DCSum {h['DCSum']}, HSum {h['HSum']}"),
            ("upload time", f"about {_minutes(d['estimated_upload_s'])} over Bluetooth")]
    for name, value in rows:
        print(f"{name + ':':<13}{value}", file=out)


# -- progress display --------------------------------------------------------------------------

class Progress:
    """A bar redrawn in place on a terminal; otherwise a line per whole percent and per phase."""

    WIDTH = 30

    def __init__(self, out: TextIO, tty: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.tty, self.clock = out, tty, clock
        self.phase: str | None = None
        self.percent = -1
        self.started = clock()
        self._drawn = False

    def show(self, phase: str | None, uploaded: int, total: int) -> None:
        if phase is None:
            return
        percent = int(100 * uploaded / total) if total else 0
        if self.tty:
            filled = self.WIDTH * percent // 100
            bar = "#" * filled + "." * (self.WIDTH - filled)
            eta = ""
            elapsed = self.clock() - self.started
            if phase == "writing" and 0 < uploaded < total and elapsed > 1:
                eta = f"  about {_minutes(elapsed * (total - uploaded) / uploaded)} left"
            self.out.write(f"\r[{bar}] {percent:3d}%  {uploaded}/{total} bytes  {phase:<9}{eta}\x1b[K")
            self.out.flush()
            self._drawn = True
        else:
            if phase != self.phase:
                print(f"firmware upload: {phase}", file=self.out, flush=True)
            if phase == "writing" and percent != self.percent:
                print(f"firmware upload: {percent}% ({uploaded}/{total} bytes)", file=self.out, flush=True)
                self.percent = percent
        self.phase = phase

    def completed(self, total: int) -> None:
        """The upload is over and every byte was written: show 100 % even if no poll saw it."""
        if self.phase is None or self.phase == "erasing" or self.percent < 100:
            self.show("writing", total, total)

    def end(self) -> None:
        if self.tty and self._drawn:
            self.out.write("\n")
            self.out.flush()
            self._drawn = False


# -- commands ----------------------------------------------------------------------------------

def cmd_info(args: argparse.Namespace, out: TextIO) -> int:
    d = describe(load_image(args.file), args.file)
    if args.json:
        print(json.dumps(d, indent=2, sort_keys=True), file=out)
    else:
        print_info(d, out)
    return 0


def machine_state(service: Service) -> tuple[str, str]:
    body = service.get_json("de1/state", "cannot read the DE1's state")
    try:
        state = body["state"]
        return str(state["state"]), str(state.get("substate"))
    except (KeyError, TypeError):
        raise Refused(f"unexpected answer to GET de1/state: {_one_line(json.dumps(body))}") from None


def firmware_build(service: Service) -> int | None:
    answer = service.request("GET", "de1/firmware/id")
    if not answer.ok:
        return None
    body = answer.json()
    return body.get("id") if isinstance(body, dict) else None


def confirm(args: argparse.Namespace, question: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise Refused("not confirmed: stdin is not a terminal; pass --yes to upload without asking", 2)
    try:
        reply = input(f"{question} [y/N] ")
    except EOFError:
        reply = ""
    if reply.strip().lower() not in ("y", "yes"):
        raise Refused("not confirmed: nothing was sent")


def cmd_upload(args: argparse.Namespace, out: TextIO) -> int:
    image = load_image(args.file)                          # refuse a bad file before any request
    service = Service(args.url, args.token, args.timeout)
    state, substate = machine_state(service)
    if state not in UPLOADABLE_STATES:
        raise Refused(f"the DE1 is in {state} ({substate}); a firmware upload needs it "
                      f"{' or '.join(UPLOADABLE_STATES)}: nothing was sent")
    before = firmware_build(service)
    print(f"{args.file}: build {image.build}, {len(image.data)} bytes, {image.chunk_count} chunks; "
          f"the DE1 ({state}) runs build {before if before is not None else 'unknown'}", file=out, flush=True)
    confirm(args, f"Upload build {image.build}? It takes about "
                  f"{_minutes(image.chunk_count * SECONDS_PER_CHUNK)} and the DE1 sleeps meanwhile.")
    progress = Progress(out, out.isatty() if args.progress == "auto" else args.progress == "bar")
    try:
        answer = service.request("PUT", "de1/firmware", image.data)
        if not answer.ok:
            raise Refused(f"the service refused the upload ({answer.status}): {_one_line(answer.text)}")
        result = follow(service, progress, args.interval)
        if result == "completed":
            progress.completed(len(image.data))
    except KeyboardInterrupt:
        progress.end()
        return cancel(service, out)
    finally:
        progress.end()
    return report(service, image, result, out)


def follow(service: Service, progress: Progress, interval: float) -> str:
    """Poll until the upload is over; returns the DE1 actor's ``last_result``."""
    unanswered_since: float | None = None
    while True:
        try:
            status = service.firmware_progress()
            unanswered_since = None
        except Refused:
            now = time.monotonic()
            unanswered_since = unanswered_since or now
            if now - unanswered_since > LOST_SERVICE_GRACE:
                raise Refused(f"lost the service for {LOST_SERVICE_GRACE:.0f} s during the upload; "
                              f"see `{PROG} status` and the service log") from None
            status = None
        if status is not None:
            phase = status.get("phase")
            if phase is None:
                return str(status.get("last_result") or "unknown")
            progress.show(phase, int(status.get("uploaded") or 0), int(status.get("total") or 0))
        time.sleep(interval)


def cancel(service: Service, out: TextIO) -> int:
    print("interrupted: asking the service to cancel the upload", file=out, flush=True)
    answer = service.request("PUT", "de1/firmware/cancel", b"")
    if answer.status == 409 and "No 'upload_firmware' task" in answer.text:
        raise Refused("interrupted: no upload is running (it had not started, or had just ended); "
                      f"see `{PROG} status`", 130)
    if answer.ok:
        print(f"{PROG}: upload canceled; the DE1's firmware slot holds a partial image: upload again "
              "before restarting the DE1", file=sys.stderr)
        return 130
    raise Refused(f"cancel refused ({answer.status}): {_one_line(answer.text)}")


def report(service: Service, image: FirmwareImage, result: str, out: TextIO) -> int:
    if result == "unknown":
        raise Refused("the upload ended without a result (did the service's DE1 part restart?); "
                      "see the service log, then upload again")
    if result != "completed":
        raise Refused(f"upload {result}")   # e.g. "failed: the DE1 reports a bad block at 0x000040"
    after = firmware_build(service)
    print(f"upload completed: the DE1 verified all {len(image.data)} bytes of build {image.build}",
          file=out)
    if after == image.build:
        print(f"verified: the DE1 reports firmware build {after}", file=out)
    else:
        print(f"the DE1 still reports build {after if after is not None else 'unknown'}; build "
              f"{image.build} starts after the DE1 is restarted (power it off and on)", file=out)
    return 0


def cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    service = Service(args.url, args.token, args.timeout)
    answer = service.request("GET", "de1/state")
    if answer.ok:
        state, substate = machine_state(service)
        build = firmware_build(service)
        print(f"DE1: {state} ({substate}), firmware build {build if build is not None else 'unknown'}",
              file=out)
    else:
        print(f"DE1: not available ({answer.status}): {_one_line(answer.text)}", file=out)
    progress = service.firmware_progress()
    if progress is None:
        print("firmware upload: the service does not report one", file=out)
    elif progress.get("phase") is None:
        last = progress.get("last_result")
        print(f"firmware upload: none running{f' (last: {last})' if last else ''}", file=out)
    else:
        uploaded, total = int(progress.get("uploaded") or 0), int(progress.get("total") or 0)
        percent = int(100 * uploaded / total) if total else 0
        print(f"firmware upload: {progress['phase']}, {percent}% ({uploaded}/{total} bytes)", file=out)
    return 0


# -- entry point -------------------------------------------------------------------------------

def _service_url(text: str) -> str:
    """--url: an http(s) address with a host; a typo is a usage error, not a traceback."""
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # read for its check: a port out of range or not a number raises ValueError
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// address with a host")
    return text


def _seconds(text: str) -> float:
    """--timeout, --interval: a finite number of seconds above 0 (0 would poll without pause)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Check a DE1 firmware image and upload it "
                                "through a running pyde1 service.")
    sub = p.add_subparsers(dest="command", required=True)
    net = argparse.ArgumentParser(add_help=False)
    net.add_argument("--url", type=_service_url, default=os.environ.get("PYDE1_URL", DEFAULT_URL),
                     help=f"the service's HTTP API (default $PYDE1_URL or {DEFAULT_URL})")
    net.add_argument("--token", default=os.environ.get("PYDE1_TOKEN"),
                     help="API token when http.API_TOKENS is set (default $PYDE1_TOKEN)")
    net.add_argument("--timeout", type=_seconds, default=20.0, help="seconds per HTTP request (default 20)")
    info = sub.add_parser("info", help="print the image's header (nothing is sent)")
    info.add_argument("file", metavar="FILE")
    info.add_argument("--json", action="store_true", help="as JSON")
    up = sub.add_parser("upload", parents=[net], help="upload the image to the DE1")
    up.add_argument("file", metavar="FILE")
    up.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    up.add_argument("--interval", type=_seconds, default=1.0, help="seconds between progress polls (default 1)")
    up.add_argument("--progress", choices=("auto", "bar", "lines"), default="auto",
                    help="a bar (terminal) or a line per percent (default: bar on a terminal)")
    sub.add_parser("status", parents=[net], help="the DE1's state, firmware build and any running upload")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"info": cmd_info, "upload": cmd_upload, "status": cmd_status}[args.command]
    try:
        return command(args, sys.stdout)
    except Refused as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whatever read our output went away (`| head`); an upload already started goes on in
        # the service. Point stdout at /dev/null so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"{PROG}: output closed; a started upload continues in the service "
              f"(`{PROG} status` follows it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
