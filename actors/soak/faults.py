"""The faults a soak injects, and when.

Each fault is applied around one shot (``before`` the shot starts, ``during`` it once
samples flow, ``after`` it ends). The schedule cycles through the chosen faults with clean
shots in between, so every fault is seen and clean shots prove recovery.
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

#: name -> what it does (for --help and the report)
FAULTS: dict[str, str] = {
    "drop-mid-shot": "the DE1's radio link drops while it pours; the DE1 actor reconnects",
    "drop-idle": "the DE1's link drops between shots",
    "refuse-reconnect": "the link drops and the next 2 connection attempts are refused",
    "bad-packets": "corrupt (2%), truncated (2%) and reordered (5%) notifications for a shot, plus junk",
    "scale-spike": "the simulated scale reports a 500 g spike during a shot",
    "scale-freeze": "the simulated scale's reading freezes for 3 s during a shot",
    "scale-vanish": "the scale's link drops and it refuses 3 reconnects",
    "mosquitto-restart": "the broker is killed (SIGKILL) before a shot and restarted after it",
    "http-garbage": "clients send random bytes, half requests and slow headers during a shot",
    "sigterm": "the service gets SIGTERM in the middle of a shot and is started again",
    "kill-9": "the service is killed (SIGKILL) in the middle of a shot and started again",
}
#: shots interrupted by these are not judged for database loss (nothing was acknowledged)
UNJUDGED_DB = {"kill-9"}
#: shots whose bus samples may legitimately miss some the simulator sent
LOSSY_LINK = {"drop-mid-shot", "bad-packets", "sigterm", "kill-9", "refuse-reconnect"}
#: ERROR log lines expected while each fault is active (regular expressions)
EXPECTED_ERRORS: dict[str, tuple[str, ...]] = {
    "bad-packets": (r"dropped a bad", r"cannot decode"),
    "mosquitto-restart": (r"mqtt", r"MQTT", r"broker"),
    "kill-9": (r"",),  # the next start may say anything about the dirty database; judged by integrity_check
}


def parse_faults(text: str) -> list[str]:
    if text == "all":
        return list(FAULTS)
    if text in ("none", ""):
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}, all, none")
    return names


def schedule(shots: int, faults: list[str], clean_between: int = 1) -> list[str | None]:
    """Fault (or None) for each shot: the first shot clean, then each fault followed by
    ``clean_between`` clean shots, cycling."""
    plan: list[str | None] = [None]
    i = 0
    while len(plan) < shots:
        if faults:
            plan.append(faults[i % len(faults)])
            i += 1
        plan.extend([None] * clean_between)
    return plan[:shots]


@dataclass
class GarbageClients:
    """Threads that send the HTTP port junk until stopped (each with a socket timeout)."""

    port: int
    seed: int = 1

    def __post_init__(self) -> None:
        self.halt = threading.Event()
        self.sent = 0
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True, name=f"garbage-{k}")
                        for k in range(4)]

    def start(self) -> "GarbageClients":
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.halt.set()
        for t in self.threads:
            t.join(10)

    def _run(self, k: int) -> None:
        rng = random.Random(self.seed * 100 + k)
        makers: list[Callable[[], bytes]] = [
            lambda: rng.randbytes(rng.randrange(1, 2000)),
            lambda: b"GET /de1/state HTTP/1.1\r\nHost: x\r\n",                  # never finished
            lambda: b"PATCH /de1/mode HTTP/1.1\r\nContent-Length: 999999\r\n\r\n{\"mo",
            lambda: b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
            lambda: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",            # a TLS hello
            lambda: b"PUT /de1/profile HTTP/1.1\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\n<<<<<",
        ]
        while not self.halt.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(rng.choice(makers)())
                    self.sent += 1
                    try:
                        s.recv(4096)
                    except OSError:
                        pass
            except OSError:
                self.halt.wait(0.05)
