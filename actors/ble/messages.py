"""Messages between the Bluetooth actor and the device actors, and the typed errors.

Up (told by the Bluetooth actor to the role that owns the connection, looked up at send
time): :class:`BleNotification`, :class:`BleDisconnected`. Down: method calls on the
Bluetooth actor's proxy, answered with futures (see ``actors.ble.link``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BleNotification:
    address: str
    uuid: str
    data: bytes
    arrival_time: float


@dataclass(frozen=True, slots=True)
class BleDisconnected:
    """The link to ``address`` went down without being asked to."""

    address: str
    reason: str
    time: float


@dataclass(frozen=True, slots=True)
class ConnectInfo:
    address: str
    name: str
    services: tuple[str, ...]
    attempts: int


class BleError(Exception):
    """Base of every error the Bluetooth layer raises to its callers."""


class BleConnectError(BleError):
    """Every connect attempt failed. Says how often, the last reason and what to check."""

    def __init__(self, address: str, attempts: int, last_error: BaseException | None):
        self.address = address
        self.attempts = attempts
        self.last_error = last_error
        reason = f"{type(last_error).__name__}: {last_error}" if last_error else "unknown"
        super().__init__(
            f"could not connect to {address} after {attempts} attempt(s) ({reason}); check that "
            "the device is powered on, in range and not connected to another app or tablet")


class BleNotConnectedError(BleError):
    def __init__(self, address: str, doing: str = ""):
        self.address = address
        super().__init__(f"{doing + ': ' if doing else ''}not connected to {address}; "
                         "capture the device first")


class BleTimeoutError(BleError, TimeoutError):
    def __init__(self, address: str, doing: str, timeout: float):
        self.address = address
        self.doing = doing
        self.timeout = timeout
        super().__init__(f"{doing} on {address}: no answer within {timeout:g} s")


class BleGattError(BleError):
    """The device or the stack refused a GATT operation."""


class BleScanError(BleError):
    """A scan could not start (another one is starting, no adapter, ...)."""


class BleUnavailableError(BleError):
    """The Bluetooth actor is not running (stopped, restarting)."""
