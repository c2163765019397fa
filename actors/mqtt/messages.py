"""Messages of the MQTT bridge: what paho's thread tells the actor, and what the actor
publishes on the bus about its connections."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MqttLinkState:
    """On the bus (never sent to MQTT): one of the bridge's broker connections went up or
    down. ``link`` is ``notification``, ``logging``, ``controller``, ``http`` or ``db_recorder``."""

    link: str
    connected: bool
    reason: str
    event_time: float
    #: The broker answered and refused (credentials, ACL); retried with backoff all the same.
    refused: bool = False
    PUBLISHED = False


# -- told by paho's network thread to the actor ------------------------------------------
@dataclass(frozen=True, slots=True)
class LinkUp:
    link: str


@dataclass(frozen=True, slots=True)
class LinkDown:
    link: str
    reason: str
    #: The broker answered and said no (bad credentials, not authorised, banned...).
    refused: bool = False
    #: The broker could not be reached at all (no answer, DNS, TLS handshake).
    unreachable: bool = False


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message on a topic the bridge subscribed to."""

    link: str
    topic: str
    payload: bytes


# -- told by the log handler and the bridge's timers -------------------------------------
@dataclass(frozen=True, slots=True)
class LogFeedMessage:
    """One log record, already formatted for ``<root>/log`` and ``<root>/log/record``."""

    line: str
    record_json: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Wake the bridge to publish a rate-limited HA state and check pending DE1 commands."""

    reason: str


@dataclass(frozen=True, slots=True)
class Deferred:
    """An event the express lane left to the actor's mailbox (over its budget, or behind
    other deferred events): the actor publishes it, in mailbox order."""

    event: object
