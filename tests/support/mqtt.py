"""A recording MQTT subscriber for tests: every message on its topics, in order, with a
deadline to wait on (never a sleep)."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from support.waiting import wait_until

_unique = itertools.count(1)


def unique_number() -> int:
    return next(_unique)


def unique_root() -> str:
    """A topic root (and client id part) no other test in any process uses."""
    return f"t{os.getpid()}x{unique_number()}"


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    at: float = field(default=0.0, compare=False)  # time.time() on arrival

    @property
    def text(self) -> str:
        return self.payload.decode()

    def json(self) -> Any:
        return json.loads(self.payload)

    @property
    def is_json(self) -> bool:
        """Status and log topics carry plain text; event packets carry JSON."""
        try:
            self.json()
        except ValueError:
            return False
        return True


class Subscriber:
    """A paho client that records every message on ``topics`` and lets a test wait for them."""

    def __init__(self, host: str, port: int, topics: list[str]) -> None:
        self._cond = threading.Condition()
        self.messages: list[Received] = []
        self._subscribed = threading.Event()
        self._topics = topics
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{unique_root()}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.connect_async(host, port, keepalive=10)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            client.subscribe([(t, 0) for t in self._topics])

    def _on_message(self, client, userdata, message) -> None:
        with self._cond:
            self.messages.append(Received(message.topic, bytes(message.payload), bool(message.retain),
                                          time.time()))
            self._cond.notify_all()

    def wait_subscribed(self, timeout: float = 5.0) -> "Subscriber":
        assert self._subscribed.wait(timeout), "subscriber did not get its SUBACK"
        return self

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 5.0) -> Received:
        return wait_until(self._cond, lambda: next((m for m in self.messages if predicate(m)), None), timeout,
                          lambda: f"no matching message within {timeout} s; last: "
                                  f"{[(m.topic, m.payload[:60]) for m in self.messages[-10:]]}")

    def wait_count(self, predicate: Callable[[Received], bool], n: int, timeout: float = 5.0) -> list[Received]:
        def enough() -> list[Received] | None:
            found = [m for m in self.messages if predicate(m)]
            return found if len(found) >= n else None

        return wait_until(self._cond, enough, timeout, lambda: f"only {sum(map(predicate, self.messages))} "
                          f"of {n} messages within {timeout} s")

    def on_topic(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> "Subscriber":
        return self.wait_subscribed()

    def __exit__(self, *exc) -> None:
        self.close()


def first_message(host: str, port: int, topic: str, timeout: float = 5.0) -> Received:
    """What a subscriber arriving now gets first on ``topic`` (the retained message, if any)."""
    with Subscriber(host, port, [topic]) as late:
        return late.wait_for(lambda m: True, timeout)
