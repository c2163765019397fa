"""One connection to the broker: a paho client with its will, and its outbox.

pyDE1 opens one MQTT client per process, each with a will on its own status topic; a
connection can carry only one will, so the bridge keeps one :class:`Link` per status
topic (``notification`` carries the events, ``logging`` the log feed, the others only
their status).

Threads: paho's network thread (``loop_start``) runs the callbacks, which only ``notify``
the actor (a ``tell``). Publishing, the outbox and ``online`` are used by the bridge's
thread and by its express lane in other actors' threads, always under ``Link.lock``.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from actors.mqtt.messages import Inbound, LinkDown, LinkUp
from actors.mqtt.outbox import OutMessage, Outbox
from actors.mqtt.settings import MqttSettings

STATUS_HERE = "Here"
STATUS_GONE = "Gone"
STATUS_DIED = "Died"

paho_logger = logging.getLogger("pyde1.mqtt.paho")


def _no_delay(client, userdata, sock) -> None:
    """Send each publication at once. Without TCP_NODELAY a second small packet waits for
    the ACK of the first, which Linux delays up to 40 ms: the p99 of a notification reaching
    a subscriber went from 40 ms to about 1 ms with it (docs/performance.md)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (AttributeError, OSError):
        pass  # websockets transport or a non-TCP socket: nothing to tune


class _Client(mqtt.Client):
    """paho's client, writing a publication to the socket in the publishing thread.

    With ``loop_start`` paho leaves every write to its network thread and wakes it with a
    byte on a socket pair. That wake is a system call, so the publisher lets go of the GIL
    there, *before* the packet is out, and waits behind every other busy thread of the
    service to get it back; then paho's thread must get the GIL too. Under HTTP load those
    waits were most of an event's way to the broker (docs/performance.md). Here a thread
    other than paho's queues the packet and writes it at once, under a lock that keeps
    paho's thread and the publishers from interleaving two packets' bytes, and wakes
    paho's thread only for what the socket did not take (or an error: paho's thread meets
    it again on its own write and handles the disconnect there).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock = threading.RLock()

    def loop_write(self) -> MQTTErrorCode:  # paho's thread
        with self._write_lock:
            return super().loop_write()

    def _packet_queue(self, command, packet, mid, qos, info=None) -> MQTTErrorCode:
        if threading.current_thread() is self._thread:
            return super()._packet_queue(command, packet, mid, qos, info)
        with self._write_lock:
            # paho 2's outgoing-packet record (paho.mqtt.client._OutPacket).
            self._out_packet.append({"command": command, "mid": mid, "qos": qos, "pos": 0,
                                     "to_process": len(packet), "packet": packet, "info": info})
            if self._sock is not None:
                try:
                    self._packet_write()
                except Exception:  # a socket closing under us: paho's thread will see it too
                    pass
            left = bool(self._out_packet)
        if left and self._sockpairW is not None:
            try:
                self._sockpairW.send(b"0")
            except OSError:  # full (a wake-up is pending anyway) or closing
                pass
        return MQTTErrorCode.MQTT_ERR_SUCCESS


def _paho_log(client, userdata, level, text) -> None:
    paho_logger.debug("%s", text)


class Link:
    def __init__(self, name: str, settings: MqttSettings, notify: Callable[[object], None],
                 subscriptions: tuple[str, ...] = (), status: bool = True) -> None:
        self.name = name
        self.settings = settings
        self.client_id = settings.client_id(name)
        #: None: a connection that only carries events (no will, no Here/Gone).
        self.status_topic = settings.status_topic(name) if status else None
        #: Events of this link left to the actor's mailbox and not published yet (see
        #: MqttBridge._express); under ``lock``.
        self.deferred_pending = 0
        self.subscriptions = subscriptions
        self.outbox = Outbox(settings.queue_limit)
        self._notify = notify
        self._client: _Client | None = None
        #: Held while the outbox, ``online`` or the order of publications matter: the bridge's
        #: thread and the express lane (other actors' threads) both publish on this link.
        self.lock = threading.RLock()
        # Actor-thread state and counters.
        self.online = False
        self.sent = 0
        self.connects = 0
        self.refusals = 0
        self.failures = 0
        self.last_error = ""
        self.down_announced = False  # an MqttLinkState(connected=False) went out since the last up
        self.refused_last = False  # the last LinkDown was a refusal (paho's disconnect follows)

    # -- lifecycle (actor thread) ------------------------------------------------------------
    def start(self) -> None:
        """Create the client and start connecting in paho's thread; never waits for the broker."""
        s = self.settings
        client = _Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5, transport=s.transport)
        # paho reports every failed reconnect as an error; the bridge logs the state changes
        # itself (rate-limited), so paho's own lines are debug detail.
        client.on_log = _paho_log
        # The will is part of CONNECT: it must be set before the first connection.
        if self.status_topic is not None:
            client.will_set(self.status_topic, STATUS_DIED, qos=0, retain=True)
        s.apply_credentials(client)
        client.reconnect_delay_set(min_delay=s.reconnect_delay_min, max_delay=s.reconnect_delay_max)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.on_socket_open = _no_delay
        client.connect_async(s.host, s.port, keepalive=s.keepalive,
                             clean_start=mqtt.MQTT_CLEAN_START_FIRST_ONLY)
        self._client = client
        client.loop_start()

    def goodbye(self, status: str):
        """Publish ``status`` (retained) if the link is up; returns paho's message info to wait
        on, or None. First step of a stop: every link says goodbye, then the bridge waits for
        all of them with one deadline, then disconnects them (:meth:`disconnect`)."""
        if self._client is None or not self.online or self.status_topic is None:
            return None
        try:
            info = self._client.publish(self.status_topic, status, qos=0, retain=True)
        except Exception as exc:  # a half-closed socket must not stop the shutdown
            paho_logger.debug("%s: could not say %s: %s", self.name, status, exc)
            return None
        return info if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS else None

    def disconnect(self, with_will: bool = False) -> None:
        """Close the connection. ``with_will``: ask the broker to publish the will (``Died``)
        as if the connection had been lost."""
        self.online = False
        if self._client is None:
            return
        try:
            if with_will:
                self._client.disconnect(
                    reasoncode=ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message"))
            else:
                self._client.disconnect()
        except Exception as exc:
            paho_logger.debug("%s: error while disconnecting: %s", self.name, exc)

    def finish_stop(self) -> None:
        """Stop paho's thread (it notices a disconnect within a second, so disconnect every
        link before finishing any)."""
        client, self._client = self._client, None
        if client is not None:
            client.loop_stop()

    # -- publishing (actor thread) -----------------------------------------------------------
    def try_publish(self, message: OutMessage) -> bool:
        """Hand ``message`` to paho if the link is up. False: not sent (queue it)."""
        if not self.online or self._client is None:
            return False
        info = self._client.publish(message.topic, message.payload, qos=0, retain=message.retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return False  # lost before paho told us; its on_disconnect is on the way
        self.sent += 1
        return True

    def subscribe_all(self) -> None:
        if self._client is not None and self.subscriptions:
            self._client.subscribe([(topic, 0) for topic in self.subscriptions])

    # -- paho's thread: only tell the actor ----------------------------------------------------
    def _tell(self, message: object) -> None:
        try:
            self._notify(message)
        except Exception:  # the actor is gone; its on_stop will stop this client
            pass

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._tell(LinkDown(self.name, str(reason_code), refused=True))
        else:
            self._tell(LinkUp(self.name))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._tell(LinkDown(self.name, str(reason_code)))

    def _on_connect_fail(self, client, userdata) -> None:
        self._tell(LinkDown(self.name, "broker unreachable", unreachable=True))

    def _on_message(self, client, userdata, message) -> None:
        self._tell(Inbound(self.name, message.topic, bytes(message.payload)))

    def stats(self) -> dict:
        return {
            "client_id": self.client_id,
            "status_topic": self.status_topic,
            "connected": self.online,
            "queued": len(self.outbox),
            "queue_limit": self.outbox.limit,
            "dropped": self.outbox.dropped,
            "sent": self.sent,
            "connects": self.connects,
            "refusals": self.refusals,
            "failures": self.failures,
            "last_error": self.last_error,
        }
