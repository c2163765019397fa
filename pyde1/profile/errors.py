"""The one error type of the profile package.

A ProfileError names the offending field by a path into the JSON document
(``steps[3].exit.value``; ``$`` for the document itself) and says what was wrong,
so that an HTTP answer or a command-line message can point at the exact spot.
"""

from __future__ import annotations

ROOT = "$"


class ProfileError(ValueError):
    """A profile that cannot be read or that a DE1 cannot run."""

    def __init__(self, path: str, reason: str):
        self.path = path or ROOT
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class TooManyFramesError(ProfileError):
    """More steps than the DE1 holds (pyDE1 answers this case with its own 400 error)."""
