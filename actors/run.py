"""``pyde1-run``: load the config, set up logging, start the service, stop it cleanly.

Exit status: 0 after a requested stop (SIGTERM, SIGINT/Ctrl-C, SIGHUP, SIGQUIT);
2 for a bad config or bad arguments (nothing was started); 1 when the service could not
start (the log says which actor and why); 70 (EX_SOFTWARE) after an unexpected error.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import time
from typing import Any

from pyde1 import __version__

logger = logging.getLogger("pyde1.run")

EX_CONFIG = 2
EX_STARTUP = 1
EX_SOFTWARE = 70
DEFAULT_CONFIG = "/usr/local/etc/pyde1/pyde1.conf"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyde1-run", description="Run the pyde1 DE1 controller service.")
    p.add_argument("-c", metavar="FILE", dest="config",
                   help=f"config file (default {DEFAULT_CONFIG}; built-in defaults if it is missing)")
    p.add_argument("--console", action="store_true", help="log to stderr at DEBUG with timestamps")
    p.add_argument("--level", metavar="LEVEL", help="stderr log level (e.g. info), with timestamps")
    p.add_argument("--simulate", action="store_true",
                   help="use the built-in simulator (DE1, scale, thermometer) instead of Bluetooth")
    p.add_argument("--log-dir", metavar="DIR", help="write the log file here instead of LOG_DIRECTORY")
    p.add_argument("--check-config", action="store_true", help="check the config file and exit")
    p.add_argument("--migrate-only", action="store_true",
                   help="check the config, open (and migrate) the database, then exit")
    p.add_argument("--version", action="version", version=f"pyde1 {__version__}")
    return p


def load(path: str | None) -> Any:
    """Load the config or exit 2 with every problem listed."""
    from pyde1.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"pyde1-run: configuration has problems, not starting:\n{exc}", file=sys.stderr)
        raise SystemExit(EX_CONFIG) from None


class _StopRequest:
    """Signals wake the main thread through a pipe. The handler takes no lock: a handler that
    set a threading.Event could deadlock when the signal lands while the main thread holds
    that Event's own lock inside wait().

    The pipe is also Python's wakeup fd, written by the C-level handler in whichever thread
    the kernel hands the signal to. A Python-level handler only runs in the main thread, and
    only once it gets control: a signal taken by another thread while the main thread sat in
    ``read`` left it there for good (about one SIGINT in sixteen right after start-up, seen
    in tests/test_run.py)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self.received: list[int] = []

    def install(self) -> None:
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(sig, self._handler)

    def _handler(self, signum, _frame) -> None:
        self.received.append(signum)
        try:
            os.write(self._write, b"!")
        except BlockingIOError:
            pass  # the pipe already holds a wake-up

    def wait(self) -> int | None:
        data = os.read(self._read, 1)  # PEP 475: retried after each signal handler runs
        if self.received:
            return self.received[0]
        # Woken by the C-level handler before the Python one ran: its byte is the signal.
        return data[0] if data and data != b"!" else None


def _migrate_only(config: Any) -> int:
    try:
        from actors.db import migrate_only  # provided by the database part
    except ImportError:
        print("pyde1-run: the database part is not in this build; nothing to migrate", file=sys.stderr)
        return EX_STARTUP
    return migrate_only(config)


def main(argv: list[str] | None = None) -> int:
    # Start-up only allocates (modules, classes, actors) and makes next to no cyclic garbage,
    # yet the collector would run a few hundred times while the modules load (about 5% of
    # start-up). It is off until the service is up and its objects are frozen (_serve).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _serve(argv, collect_after_start=collecting)
    finally:
        if collecting:
            gc.enable()


def _serve(argv: list[str] | None, *, collect_after_start: bool) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.monotonic()
    config = load(args.config)
    if args.check_config:
        source = getattr(config, "source", None) or args.config or "built-in defaults"
        for warning in config.warning_lines():
            print(f"warning: {warning}", file=sys.stderr)
        print(f"config OK: {source}")
        return 0

    from actors.logsetup import setup_logging, stop_logging

    log_info = setup_logging(getattr(config, "logging", None), console=args.console,
                             level=args.level, log_directory=args.log_dir)
    for warning in config.warning_lines():
        logger.warning("config: %s", warning)
    logger.info("pyde1 %s starting (config %s, log file %s%s)", __version__,
                getattr(config, "source", None) or args.config or "defaults", log_info["file"],
                ", simulated devices" if args.simulate else "")
    if args.migrate_only:
        return _migrate_only(config)

    from actors import systemd
    from actors.service import Service
    from actors.supervisor import StartupError

    # Open (and if needed back up and migrate) the database before anything else starts, so
    # a bad, newer or locked file stops us here with its reason and a big migration is not
    # raced by the supervisor's start-up timeout.
    try:
        from actors.db import prepare_database
        from pyde1.db.errors import DatabaseOpenError
    except ImportError:
        logger.warning("database: absent (not part of this build); shots will not be recorded")
    else:
        try:
            report = prepare_database(config.database.FILENAME,
                                      backup_timeout=config.database.BACKUP_TIMEOUT)
        except DatabaseOpenError as exc:
            logger.critical("pyde1 cannot start: %s", exc)
            return EX_STARTUP
        logger.info("database %s: %s", config.database.FILENAME,
                    "; ".join(report.actions) or f"schema {report.version}, nothing to do")

    stop = _StopRequest()
    stop.install()
    service = Service(config, simulate=args.simulate)
    try:
        service.start()
    except StartupError as exc:
        logger.critical("pyde1 could not start: %s", exc)
        return EX_STARTUP
    except Exception:
        logger.critical("pyde1 failed while starting", exc_info=True)
        return EX_SOFTWARE
    logger.info("pyde1 ready in %.2f s", time.monotonic() - t0)
    # What start-up allocated lives as long as the service: take it out of the collector's
    # sight, so that a full collection walks only what came later (it walked every object
    # of the service before, a pause the HTTP and MQTT tails showed; docs/performance.md).
    # The few hundred unreachable start-up objects are frozen with them: collecting them
    # first would cost a full collection (~35 ms) to free a few kB.
    gc.freeze()
    if collect_after_start:
        gc.enable()
    systemd.notify("READY=1")
    watchdog = systemd.Watchdog(service.healthy)
    watchdog.start()
    try:
        signum = stop.wait()
        name = signal.Signals(signum).name if signum else "request"
        logger.info("stopping on %s", name)
        systemd.notify("STOPPING=1")
    finally:
        watchdog.stop()
        try:
            result = service.stop()
        except Exception:
            logger.critical("error while stopping", exc_info=True)
            return EX_SOFTWARE
    stuck = [role for role, r in result.items() if r == "timeout"]
    if stuck:
        logger.error("these actors did not stop in time: %s", ", ".join(stuck))
        return EX_SOFTWARE
    logger.info("pyde1 stopped cleanly")
    stop_logging()
    return 0


if __name__ == "__main__":
    sys.exit(main())
