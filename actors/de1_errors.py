"""Typed errors of the DE1 actor's commands. Each says what was wrong and, where it helps,
what to do; ``http_status`` is the answer pyDE1 gives for the same case (api-contract §1.5)."""

from __future__ import annotations


class DE1Error(Exception):
    http_status = 500


class DE1NotConnectedError(DE1Error):
    http_status = 409

    def __init__(self, doing: str = ""):
        super().__init__(f"{doing + ': ' if doing else ''}the DE1 is not connected and ready; "
                         "capture it (de1/availability mode C) and wait for 'ready'")


class DE1TimeoutError(DE1Error, TimeoutError):
    http_status = 504


class DE1ValueError(DE1Error, ValueError):
    """A bad argument: names the field and the reason."""

    http_status = 400


class DE1ModeRefusedError(DE1Error):
    """The request does not fit the DE1's current state (pyDE1: 409)."""

    http_status = 409


class DE1GHCActiveError(DE1Error):
    """The group-head controller is active: flows must be started on the machine (pyDE1: 418)."""

    http_status = 418

    def __init__(self, mode: str):
        super().__init__(f"{mode}: the group head controller is active; start it on the machine")


class DE1NotSupportedError(DE1Error):
    http_status = 400


class DE1UploadInProgressError(DE1Error):
    http_status = 409


class DE1ProfileError(DE1ValueError):
    """The profile cannot be read or run; ``path`` is the field (``steps[2].exit.value``)."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"profile {path}: {reason}")
