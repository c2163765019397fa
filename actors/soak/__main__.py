"""``scripts/soak --shots N --faults all|none|LIST``: the real service (a subprocess, simulated
devices at maximum speed-up) pulls N shots while faults are injected; then it checks and
prints shots completed, samples recorded against samples sent (nothing acknowledged lost),
the database's integrity_check, actors restarted and why, memory growth and unexpected
ERROR log lines. Exit status 0 when every check passes, 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from actors.bench.broker import MosquittoBroker, find_mosquitto, free_port
from actors.soak.faults import (EXPECTED_ERRORS, FAULTS, LOSSY_LINK, UNJUDGED_DB, GarbageClients,
                                parse_faults, schedule)
from actors.soak.process import ServiceError, ServiceProcess, ShotRefused
from actors.soak.samples import Recorded, ShotSamples, judge
from pyde1.sim.de1 import U

SHOT_SAMPLE_UUID = U["ShotSample"]

RESET_FAULTS = {"op": "faults", "corrupt_probability": 0.0, "truncate_probability": 0.0,
                "reorder_probability": 0.0, "refuse_connections": 0, "notification_delay": 0.0}
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (ERROR|CRITICAL) ")


@dataclass
class ShotRecord:
    index: int
    fault: str | None
    pid: int
    began: float
    ended: float = 0.0
    interrupted: bool = False
    samples: ShotSamples = field(default_factory=ShotSamples)
    note: str = ""


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.faults = parse_faults(args.faults)
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="pyde1-soak-"))
        self.broker: MosquittoBroker | None = None
        self.notes: list[str] = []
        if find_mosquitto() is not None:
            (self.workdir / "mosquitto").mkdir(parents=True, exist_ok=True)
            self.broker = MosquittoBroker(port=free_port(), workdir=str(self.workdir / "mosquitto"))
        elif "mosquitto-restart" in self.faults:
            self.faults.remove("mosquitto-restart")
            self.notes.append("mosquitto is not installed: mosquitto-restart skipped, the service ran without a broker")
        self.plan = schedule(args.shots, self.faults)
        self.service = ServiceProcess(self.workdir / "service", speedup=args.speedup,
                                      mqtt_port=self.broker.port if self.broker else 1,
                                      env={"PYDE1_SOAK_KEEP_SHOTS": "20",
                                           "PYDE1_SIMULATOR__SEED": str(args.seed)})
        self.shots: list[ShotRecord] = []
        self.rss: list[tuple[int, int, int]] = []        # (shot, pid, kB)
        self.health_snapshots: list[dict[str, Any]] = []
        self.exits: list[tuple[str, int]] = []
        self.garbage_sent = 0
        self.incidents: list[dict[str, Any]] = []
        self.mqtt_reconnects: list[float | None] = []   # seconds after each broker restart

    # -- helpers -----------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if not self.args.quiet:
            print(text, file=sys.stderr, flush=True)

    def ctl(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.service.ctl(request)

    def take_samples(self, shot: ShotRecord) -> None:
        try:
            shot.samples.add_stats(self.ctl({"op": "stats", "samples": True, "clear": True}))
        except Exception as exc:  # the service may be going down (kill-9): the shot is unjudged then
            shot.note += f" samples not fetched: {exc}"

    def snapshot_health(self, why: str) -> None:
        try:
            status, body = self.service.get("health", timeout=10)
            if status in (200, 503) and isinstance(body, dict):
                self.health_snapshots.append({"why": why, "pid": self.service.pid, "health": body})
        except Exception as exc:
            self.notes.append(f"/health did not answer ({why}): {exc}")

    def start_service(self) -> None:
        self.service.start()
        self.service.wait_de1_ready(60)
        self.service.wait_control(30)

    def restart(self, sig: int, shot: ShotRecord) -> None:
        if sig == signal.SIGKILL:
            self.service.kill()
            self.exits.append(("SIGKILL", -9))
        else:
            code = self.service.stop(sig, timeout=30)
            self.exits.append((signal.Signals(sig).name, code))
        self.start_service()

    def wait_mqtt_connected(self, timeout: float = 30.0) -> float | None:
        """Seconds until /health says the MQTT bridge is connected again (None: not in time)."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            try:
                _, body = self.service.get("health", timeout=5)
                if body["actors"]["mqtt"]["health"]["connected"]:
                    return round(time.monotonic() - began, 2)
            except Exception:  # not answering yet, or no such key: try again
                pass
            time.sleep(0.1)
        return None

    def wait_pouring(self, samples: int = 5, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bus = self.ctl({"op": "stats"})["bus"]
            if bus["in_espresso"] and bus["delivered"] >= samples:
                return
            time.sleep(0.005)
        raise ServiceError("the shot did not start pouring")

    def wait_bus_caught_up(self, shot: ShotRecord, timeout: float = 10.0) -> None:
        """The simulator has finished the shot; wait until the bus has delivered the DE1's
        leaving Espresso too (it comes after the shot's last sample), so that a DE1 actor that
        is behind the simulator's 1000x pace is not judged as losing what is still on its way."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self.ctl({"op": "stats"})["bus"]["in_espresso"]:
                    return
            except Exception:  # a faulted service may not answer: the shot is judged as it is
                return
            time.sleep(0.005)
        shot.note += f" the bus was still in Espresso {timeout:g} s after the simulator finished"

    # -- one shot ----------------------------------------------------------------------------
    def run_shot(self, index: int, fault: str | None) -> ShotRecord:
        self.service.wait_de1_ready(60)
        shot = ShotRecord(index, fault, self.service.pid, time.time())
        garbage = None
        if fault == "drop-idle":
            self.ctl({"op": "drop"})
            self.service.wait_de1_ready(60)
        elif fault == "refuse-reconnect":
            self.ctl({"op": "faults", "refuse_connections": 2})
            self.ctl({"op": "drop"})
            self.service.wait_de1_ready(60)
        elif fault == "drop-mid-shot":
            self.ctl({"op": "drop_in", "state": "Espresso", "substate": "Pour"})
        elif fault == "bad-packets":
            self.ctl({"op": "faults", "corrupt_probability": 0.02, "truncate_probability": 0.02,
                      "reorder_probability": 0.05, "seed": index})
        elif fault == "scale-vanish":
            self.ctl({"op": "scale", "action": "vanish", "refuse": 3})
        elif fault == "mosquitto-restart" and self.broker is not None:
            self.broker.proc.kill()
            self.broker.proc.wait()
        elif fault == "http-garbage":
            garbage = GarbageClients(self.service.http_port, seed=index).start()
        try:
            if fault in ("sigterm", "kill-9"):
                before = self.ctl({"op": "stats"})["sim"]["shots_completed"]
                status, body = self.service.request("PATCH", "de1/mode", {"mode": "Espresso"})
                if status != 200:
                    raise ServiceError(f"PATCH de1/mode answered {status}: {body}")
                self.wait_pouring()
                self.take_samples(shot)
                shot.interrupted = True
                self.snapshot_health(f"before {fault}")
                self.restart(signal.SIGTERM if fault == "sigterm" else signal.SIGKILL, shot)
                shot.note = f"interrupted after {before} shots of that process"
            else:
                if fault in ("scale-spike", "scale-freeze"):
                    # queued in simulated time: the spike/freeze lands while the shot pours
                    action = {"action": "spike", "grams": 500.0} if fault == "scale-spike" else \
                             {"action": "freeze", "seconds": 3.0}
                    self.ctl({"op": "scale", **action})
                self.espresso(shot)
                self.wait_bus_caught_up(shot)
                self.take_samples(shot)
        finally:
            if garbage is not None:
                garbage.stop()
                self.garbage_sent += garbage.sent
            if fault == "mosquitto-restart" and self.broker is not None:
                self.broker.start()
                self.mqtt_reconnects.append(self.wait_mqtt_connected())
            if fault == "scale-vanish":
                self.ctl({"op": "scale", "action": "back"})
            if fault == "bad-packets":
                for junk in ("", "00", "ff" * 30, "0102"):
                    self.ctl({"op": "inject", "uuid": SHOT_SAMPLE_UUID, "hex": junk})
            if fault in ("bad-packets", "refuse-reconnect"):
                self.ctl(RESET_FAULTS)
        shot.ended = time.time()
        return shot

    def espresso(self, shot: ShotRecord) -> None:
        """A shot; if the DE1 actor keeps refusing it (its view of the machine's state was
        poisoned, e.g. by a corrupted StateInfo), record the incident, drop the link so the
        actor re-reads the state, and try once more."""
        try:
            self.service.espresso(timeout=60, refused_for=5.0)
        except ShotRefused as exc:
            previous = self.shots[-1].fault if self.shots else None
            self.incidents.append({"shot": shot.index, "fault": shot.fault or f"clean, after {previous}",
                                   "what": str(exc),
                                   "recovery": "DE1 link dropped to make the actor re-read the state"})
            self.say(f"shot {shot.index + 1}: {exc}; dropping the DE1 link to recover")
            self.ctl({"op": "drop"})
            self.service.wait_de1_ready(60)
            self.service.espresso(timeout=60, refused_for=10.0)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        began = time.monotonic()
        if self.broker is not None:
            self.broker.start()
        try:
            self.start_service()
            for index, fault in enumerate(self.plan):
                shot = self.run_shot(index, fault)
                self.shots.append(shot)
                rss = self.service.rss_kb()
                if rss:
                    self.rss.append((index, self.service.pid, rss))
                if index % max(1, self.args.progress) == 0 or fault:
                    self.say(f"shot {index + 1}/{len(self.plan)} {fault or 'clean'}: "
                             f"{len(shot.samples.delivered)} samples, RSS {rss // 1024 if rss else '?'} MB")
            time.sleep(1.5)  # the database commits at least once a second
            self.snapshot_health("end")
            code = self.service.stop(signal.SIGTERM, timeout=30)
            self.exits.append(("SIGTERM (end)", code))
        finally:
            self.service.kill()
            if self.broker is not None:
                self.broker.stop()
        return self.report(time.monotonic() - began)

    # -- checks ------------------------------------------------------------------------------
    def report(self, seconds: float) -> dict[str, Any]:
        db_path = self.service.db_path
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
        recorded = Recorded.from_service(self.service)
        per_shot = []
        totals = {"sent": 0, "delivered": 0, "bus_lost_clean": 0, "acknowledged": 0, "db_lost": 0,
                  "bus_lost_faulted": 0, "unjudged_shots": 0}
        for shot in self.shots:
            j = judge(shot.samples, recorded)
            j.update(shot=shot.index, fault=shot.fault, interrupted=shot.interrupted)
            per_shot.append(j)
            totals["sent"] += j["sent"]
            totals["delivered"] += j["delivered"]
            if shot.interrupted:
                pass  # the simulator itself went away mid-shot: sent vs delivered means nothing
            elif shot.fault in LOSSY_LINK:
                totals["bus_lost_faulted"] += j["bus_lost"]
            else:
                totals["bus_lost_clean"] += j["bus_lost"]
            if shot.fault in UNJUDGED_DB:
                totals["unjudged_shots"] += 1
            else:
                totals["acknowledged"] += j["acknowledged"] or 0
                totals["db_lost"] += j["db_lost"] or 0
        restarts = self._restarts()
        memory = self._memory()
        errors = self._unexpected_errors()
        completed = sum(not s.interrupted for s in self.shots)
        checks = {
            "every planned shot ran": len(self.shots) == len(self.plan),
            "no sample lost on the bus in clean shots": totals["bus_lost_clean"] == 0,
            "no acknowledged sample missing from the database": totals["db_lost"] == 0,
            "database integrity_check ok": integrity == "ok",
            "every SIGTERM stop exited 0": all(code == 0 for name, code in self.exits if name.startswith("SIGTERM")),
            "no actor given up": not restarts["gave_up"],
            "no unexpected ERROR log lines": not errors,
            "resident memory under 150 MB": memory["max_kb"] < 150 * 1024,
        }
        if self.broker is not None and self.mqtt_reconnects:
            checks["MQTT reconnected within 30 s after every broker restart"] = None not in self.mqtt_reconnects
        return {
            "shots_planned": len(self.plan), "shots_completed": completed,
            "shots_interrupted": sum(s.interrupted for s in self.shots),
            "faults": self.faults, "faults_injected": {f: self.plan.count(f) for f in self.faults},
            "seconds": round(seconds, 1), "workdir": str(self.workdir),
            "samples": totals, "integrity_check": integrity, "actors": restarts, "memory": memory,
            "service_exits": self.exits, "http_garbage_connections": self.garbage_sent,
            "mqtt_reconnect_seconds": self.mqtt_reconnects,
            "evidence": self._evidence(),
            "unexpected_errors": errors[:50], "unexpected_error_count": len(errors),
            "notes": self.notes, "incidents": self.incidents, "checks": checks, "passed": all(checks.values()),
            "per_shot": per_shot if self.args.per_shot else [r for r in per_shot
                                                            if r["bus_lost"] or r.get("db_lost")],
        }

    def _restarts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"restarts": {}, "why": {}, "gave_up": []}
        for snap in self.health_snapshots:
            for role, info in snap["health"].get("actors", {}).items():
                n = int(info.get("restarts", 0) or 0)
                if n:
                    out["restarts"][role] = out["restarts"].get(role, 0) + n
                    out["why"].setdefault(role, []).append(info.get("last_error", ""))
                if info.get("gave_up"):
                    out["gave_up"].append(role)
        return out

    def _evidence(self) -> list[dict[str, Any]]:
        """What each process's actors counted (proof the faults happened and were survived)."""
        want = ("connects", "link_losses", "bad_packets", "failed_connect_tasks", "inbound_rejected",
                "dropped", "write_errors", "commits", "rows", "sequences", "undeliverable", "restarts",
                "rejected_spikes", "frozen_readings", "level_shifts")
        out = []
        for snap in self.health_snapshots:
            roles = {}
            for role, info in snap["health"].get("actors", {}).items():
                h = info.get("health") or {}
                picked = {k: h[k] for k in want if k in h and h[k]}
                if role == "mqtt" and isinstance(h.get("links"), dict):
                    link = h["links"].get("notification") or {}
                    picked["notification_link"] = {k: link.get(k) for k in ("connects", "failures", "dropped",
                                                                             "sent")}
                if info.get("restarts"):
                    picked["restarts"] = info["restarts"]
                if picked:
                    roles[role] = picked
            out.append({"when": snap["why"], "pid": snap["pid"], "actors": roles})
        return out

    def _memory(self) -> dict[str, Any]:
        segments: dict[int, list[tuple[int, int]]] = {}
        for shot, pid, kb in self.rss:
            segments.setdefault(pid, []).append((shot, kb))
        longest = max(segments.values(), key=len, default=[])
        out = {"max_kb": max((kb for _, _, kb in self.rss), default=0), "processes": len(segments)}
        if len(longest) >= 3:
            first, last = longest[1], longest[-1]   # after one warm-up shot
            out.update(segment_shots=last[0] - first[0], rss_start_kb=first[1], rss_end_kb=last[1],
                       growth_kb=last[1] - first[1],
                       growth_kb_per_shot=round((last[1] - first[1]) / max(1, last[0] - first[0]), 2))
        return out

    def _unexpected_errors(self) -> list[str]:
        windows = [(s.began - 1.0, s.ended + 3.0, s.fault) for s in self.shots if s.fault]
        unexpected = []
        for line in self.service.log_lines():
            m = _LOG_TIME.match(line)
            if not m:
                continue
            when = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
            allowed = False
            for start, end, fault in windows:
                if start <= when <= end:
                    patterns = EXPECTED_ERRORS.get(fault, ())
                    generic = (r"link|connect|disconnect|not ready|timed? ?out|DE1|scale|Bluetooth|lost",)
                    if any(re.search(p, line) for p in patterns + generic):
                        allowed = True
                        break
            if not allowed:
                unexpected.append(line)
        return unexpected


def _print_report(r: dict[str, Any]) -> None:
    s = r["samples"]
    lines = [
        f"soak: {r['shots_completed']} shots completed, {r['shots_interrupted']} interrupted on purpose, "
        f"of {r['shots_planned']} planned, in {r['seconds']} s",
        f"faults injected: {r['faults_injected'] or 'none'}",
        f"samples: {s['sent']} sent by the simulator, {s['delivered']} delivered on the bus; lost in clean "
        f"shots {s['bus_lost_clean']}, lost to link faults {s['bus_lost_faulted']}",
        f"database: {s['acknowledged']} acknowledged samples, {s['db_lost']} missing "
        f"({s['unjudged_shots']} kill -9 shot(s) not judged); integrity_check: {r['integrity_check']}",
        f"actors restarted: {r['actors']['restarts'] or 'none'}"
        + (f" why: {r['actors']['why']}" if r['actors']['why'] else "")
        + (f"; GAVE UP: {r['actors']['gave_up']}" if r['actors']['gave_up'] else ""),
        f"memory: {r['memory']}",
        f"service exits: {r['service_exits']}",
        f"HTTP garbage connections: {r['http_garbage_connections']}",
        f"MQTT back after each broker restart (s): {r['mqtt_reconnect_seconds'] or 'no restart'}",
        f"unexpected ERROR lines: {r['unexpected_error_count']}",
    ]
    lines += [f"  {line}" for line in r["unexpected_errors"][:10]]
    for snap in r["evidence"]:
        lines.append(f"counted by the actors ({snap['when']}, pid {snap['pid']}): {snap['actors']}")
    lines += [f"note: {n}" for n in r["notes"]]
    lines += [f"INCIDENT (recovered): shot {i['shot'] + 1} ({i['fault']}): {i['what']}; {i['recovery']}"
              for i in r["incidents"]]
    lines += [f"[{'ok' if ok else 'FAIL'}] {name}" for name, ok in r["checks"].items()]
    lines.append("SOAK PASSED" if r["passed"] else "SOAK FAILED")
    print("\n".join(lines))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/soak", description=__doc__.split("\n\n")[0],
                                epilog="faults: " + "; ".join(f"{k}: {v}" for k, v in FAULTS.items()))
    p.add_argument("--shots", type=int, default=20, help="shots to pull (default 20)")
    p.add_argument("--faults", default="all", help="all, none, or a comma-separated list (default all)")
    p.add_argument("--speedup", type=float, default=1000.0, help="simulator speed-up (default 1000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", help="keep the service's files (log, database) here")
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    p.add_argument("--per-shot", action="store_true", help="include every shot in the JSON report")
    p.add_argument("--progress", type=int, default=10, help="print progress every N shots")
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if args.shots < 1:
        p.error("--shots must be at least 1")
    try:
        soak = Soak(args)
    except ValueError as exc:
        p.error(str(exc))
    report = soak.run()
    if report["passed"] and not args.workdir:
        shutil.rmtree(soak.workdir, ignore_errors=True)  # kept for a look when something failed
        report["workdir"] = None
    _print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
