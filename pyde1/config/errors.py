"""Problems found while loading a configuration, and the one error that carries them all."""

from __future__ import annotations

from typing import NamedTuple


class ConfigProblem(NamedTuple):
    """One thing wrong (or worth a warning) in a configuration.

    ``path`` is the key path (``mqtt.BROKER_PORT``), empty for file-level problems;
    ``line`` is 1-based, or None when the problem has no place in the file (environment
    overrides, missing files, cross-key checks)."""

    path: str
    line: int | None
    message: str

    def format(self, filename: str | None) -> str:
        """``pyde1.conf:12: mqtt.BROKER_PORT: expected ...`` (parts left out when unknown)."""
        where = filename or "<config>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.path:
            return _printable(f"{where}: {self.path}: {self.message}")
        return _printable(f"{where}: {self.message}")


def _printable(text: str) -> str:
    """One line whatever the keys in the file held: control characters shown escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ConfigError(ValueError):
    """A configuration that cannot be used. ``problems`` lists every problem found, in
    file order; ``str()`` gives one line per problem, each with file name and line."""

    def __init__(self, problems: list[ConfigProblem], filename: str | None = None) -> None:
        self.problems = list(problems)
        self.filename = filename
        super().__init__(self.__str__())

    def lines(self) -> list[str]:
        return [problem.format(self.filename) for problem in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines())
