"""``pyde1-replay``: publish a recorded sequence to MQTT at its real pace (api-contract §5.3, §2.9).

    pyde1-replay [-c C] [-s SEQUENCE] [-t TOPIC_ROOT] [--speed N] [--lead SECONDS]

The database is opened read-only. Times are shifted so the first packet goes out
``--lead`` seconds (default 5, as pyDE1) after launch; ``--speed N`` publishes N times
faster (the times inside the packets keep their recorded spacing). ``-s last`` replays the
newest sequence. Exit status: 0 done, 1 nothing replayed (reason on stderr), 2 bad config.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from actors.db.reader import last_sequence_id, open_readonly, read_sequence
from actors.mqtt.settings import MqttSettings, MqttSettingsError
from actors.tools.mqttclient import BrokerError, ToolClient
from actors.tools.program import add_logging_options, load_program_config
from pyde1.db.errors import DatabaseOpenError, SequenceNotFoundError
from pyde1.db.replay import DEFAULT_LEAD, REPLAYED_TABLES, plan_replay

logger = logging.getLogger("pyde1.replay")
PUBLISH_WAIT = 10.0


class ReplayError(RuntimeError):
    """Nothing to replay, or a bad option."""


@dataclass(frozen=True)
class ReplayResult:
    sequence_id: str
    new_sequence_id: str
    topic_root: str
    packets: int
    seconds: float


def replay(config: Any, *, sequence_id: str | None = None, topic_root: str | None = None,
           speed: float = 1.0, lead: float = DEFAULT_LEAD, stop: threading.Event | None = None,
           clock: Callable[[], float] = time.time) -> ReplayResult:
    """Replay one sequence; raises DatabaseOpenError, SequenceNotFoundError, BrokerError or
    ReplayError with a message for the user."""
    if not speed > 0:
        raise ReplayError(f"--speed must be a number > 0, got {speed!r}")
    if not 0 <= lead < math.inf:  # an infinite lead would put Infinity in every time on the wire
        raise ReplayError(f"--lead must be a finite number >= 0, got {lead!r}")
    sid = sequence_id or config.sequence.ID
    if not sid:
        raise ReplayError("no sequence to replay: give -s SEQUENCE_ID (or -s last), or set sequence.ID")
    conn = open_readonly(config.database.FILENAME)
    try:
        if sid == "last":
            sid = last_sequence_id(conn)
            if sid is None:
                raise ReplayError(f"{config.database.FILENAME} holds no sequence yet")
        stored = read_sequence(conn, sid, REPLAYED_TABLES)
    finally:
        conn.close()
    settings = MqttSettings.from_config(config)
    if topic_root:
        settings = replace(settings, topic_root=topic_root)
    new_id = str(uuid.uuid4())
    client = ToolClient(settings)
    client.start()
    stop = stop or threading.Event()
    started = clock()
    try:
        packets = plan_replay(stored.tables, new_id, started, lead)
        if not packets:
            raise ReplayError(f"sequence {sid} has no rows to replay")
        origin = started + lead
        logger.info("replaying %s as %s under %s/: %d packets, first in %.1f s", sid, new_id,
                    settings.topic_root, len(packets), lead)
        info = None
        sent = 0
        for packet in packets:
            due = origin + (packet.at - origin) / speed
            wait = due - clock()
            if wait > 0 and stop.wait(wait):
                logger.warning("replay stopped after %d of %d packets", sent, len(packets))
                break
            info = client.client.publish(packet.topic(settings.topic_root), json.dumps(packet.payload),
                                         qos=0, retain=False)
            sent += 1
        if info is not None:
            info.wait_for_publish(PUBLISH_WAIT)
    finally:
        client.stop()
    return ReplayResult(sid, new_id, settings.topic_root, sent, clock() - started)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyde1-replay",
                                description="Publish a recorded sequence to MQTT at its real pace.")
    p.add_argument("-c", metavar="C", help="config file (default /usr/local/etc/pyde1/pyde1-replay.conf)")
    p.add_argument("-s", metavar="S", help="sequence id to replay ('last' for the newest); overrides sequence.ID")
    p.add_argument("-t", metavar="T", help="MQTT topic root; overrides mqtt.TOPIC_ROOT")
    p.add_argument("--speed", type=float, default=1.0, metavar="N", help="replay N times faster (default 1)")
    p.add_argument("--lead", type=float, default=DEFAULT_LEAD, metavar="SECONDS",
                   help=f"seconds from launch to the first packet (default {DEFAULT_LEAD:g})")
    add_logging_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    from pyde1.config import ReplayConfig

    args = build_parser().parse_args(argv)
    config = load_program_config("pyde1-replay", args, ReplayConfig, logger)
    if config is None:
        return 2
    try:
        result = replay(config, sequence_id=args.s, topic_root=args.t, speed=args.speed, lead=args.lead)
    except (DatabaseOpenError, SequenceNotFoundError, BrokerError, ReplayError, MqttSettingsError) as exc:
        logger.critical("%s", exc)
        print(f"pyde1-replay: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"replayed {result.sequence_id} as {result.new_sequence_id} under {result.topic_root}/: "
          f"{result.packets} packets in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
