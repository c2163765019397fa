"""What the gateway knows about devices without asking them: the last DeviceAvailability per
role and the last StateUpdate, kept from bus events, and the readiness check of §1.2.

Answering "is the DE1 ready?" from the last event means a request that needs a device that is
not ready is refused at once, even while the device actor is busy (a profile upload, a
connect), instead of waiting in its mailbox.
"""

from __future__ import annotations

import threading
from typing import Any

from actors.http.calls import Caller
from pyde1.api import errors
from pyde1.api.model import Need
from pyde1.events import DeviceAvailability, DeviceAvailabilityState, StateUpdate
from pyde1.lifecycle import ActorLifecycle, LifecycleKind

ROLE_OF_NEED = {Need.DE1: "de1", Need.SCALE: "scale"}
_GONE = {LifecycleKind.FAILED, LifecycleKind.GAVE_UP, LifecycleKind.STOPPED}
_NOT_READY_BUT_CONNECTED = {DeviceAvailabilityState.CAPTURED.value, DeviceAvailabilityState.NOT_READY.value}


class DeviceView:
    """Thread-safe cache fed by the gateway actor's ``on_event`` and read by request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._availability: dict[str, DeviceAvailability] = {}
        self._state: StateUpdate | None = None
        # The last StateUpdate is the DE1's state only while the DE1 stays ready: after a
        # link loss the actor reads the state again and publishes it anew.
        self._state_current = False
        self._state_json: tuple[StateUpdate, str] | None = None
        # Availability asked of a device actor because no event of it has come since this
        # view was made: the gateway starts after the devices, so a device that was ready
        # before then never publishes again until it changes, and every request asked its
        # actor (behind a shot's samples in the DE1's mailbox). Any event of the role takes
        # precedence; an actor that is gone takes its answer with it (``_generation``).
        self._asked: dict[str, str] = {}
        self._generation: dict[str, int] = {}

    def on_event(self, event: Any) -> None:
        with self._lock:
            if isinstance(event, DeviceAvailability):
                self._availability[event.role.value] = event
                if event.role.value == "de1" and event.state is not DeviceAvailabilityState.READY:
                    self._state_current = False
            elif isinstance(event, StateUpdate):
                self._state = event
                self._state_current = True
            elif isinstance(event, ActorLifecycle) and event.kind in _GONE:
                # What a dead actor said no longer holds. (Not on STARTED: a starting device
                # actor publishes its availability in on_start, before STARTED is sent.)
                self._availability.pop(event.role, None)
                self._asked.pop(event.role, None)
                self._generation[event.role] = self._generation.get(event.role, 0) + 1
                if event.role == "de1":
                    self._state = None
                    self._state_current = False

    def availability_event(self, role: str) -> DeviceAvailability | None:
        with self._lock:
            return self._availability.get(role)

    def state_json(self) -> str | None:
        """The last StateUpdate as MQTT sends it, serialised once per event, not per request."""
        with self._lock:
            event, cached = self._state, self._state_json
        if event is None:
            return None
        if cached is not None and cached[0] is event:
            return cached[1]
        text = event.to_json()
        with self._lock:
            self._state_json = (event, text)
        return text

    def current_state_event(self) -> StateUpdate | None:
        """The last StateUpdate if no loss of the DE1 has come since (else None: ask it)."""
        with self._lock:
            return self._state if self._state_current else None

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {role: {"availability": ev.state.value, "id": ev.id, "name": ev.name,
                           "since": ev.event_time}
                    for role, ev in self._availability.items()}

    def availability(self, caller: Caller, role: str) -> str:
        """The role's DeviceAvailabilityState value: from the last event, else asked once."""
        with self._lock:
            event = self._availability.get(role)
            if event is not None:
                return event.state.value
            asked = self._asked.get(role)
            generation = self._generation.get(role, 0)
        if asked is not None:
            return asked
        value = caller.ask(role, "availability")
        value = getattr(value, "value", value)
        with self._lock:
            # An event that came meanwhile is newer (and wins anyway); an actor that went away
            # meanwhile may have answered for the last time.
            if self._generation.get(role, 0) == generation:
                self._asked[role] = value
        return value

    def require(self, caller: Caller, needs) -> None:
        """Raise 409 (device present, not ready) or 503 (no DE1 actor) unless every needed
        device is ready. The message names the device and its availability, as pyDE1's
        ``DE1NotConnectedError`` reasons do."""
        for need in sorted(needs, key=lambda n: n.value):
            role = ROLE_OF_NEED[need]
            device = need.value
            if not caller.has(role):
                if need is Need.SCALE:
                    raise errors.device_not_ready(device, "No scale present",
                                                  "no scale actor is running")
                caller.proxy(role)  # raises the 503 naming why the role is absent
            state = self.availability(caller, role)
            if state == DeviceAvailabilityState.READY.value:
                continue
            reason = "not ready" if state in _NOT_READY_BUT_CONNECTED else "not connected"
            raise errors.device_not_ready(device, f"{device} {reason}", f"availability: {state}")
