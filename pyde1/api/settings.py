"""The gateway's settings, taken from ``pyde1.conf`` once (``config.http`` and friends) so the
gateway and its tests deal with one small frozen object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIRMWARE_PATH = "de1/firmware"
PYDE1_FIRMWARE_LIMIT = 1048576   # pyDE1's fixed firmware body limit (1 MiB)


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 0
    root: str = "/"
    patch_size_limit: int = 16384
    max_body_bytes: int = 1048576
    response_timeout: float = 16.1
    tokens: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    threads: int = 8
    connection_limit: int = 100
    backlog: int = 1024
    channel_timeout: float = 120.0
    log_directory: str | None = None
    #: de1.PATCH_ON_CONNECT: a body PATCHed to ``de1`` each time the DE1 becomes ready (JSON text)
    patch_on_connect: str | None = None

    def __post_init__(self) -> None:
        if not (self.root.startswith("/") and self.root.endswith("/")):
            raise ValueError(f"http root must start and end with '/', not {self.root!r}")

    def body_limit(self, path: str) -> int:
        """Largest body for ``path``: PATCH_SIZE_LIMIT, firmware 1 MiB, never above
        MAX_BODY_BYTES."""
        limit = PYDE1_FIRMWARE_LIMIT if path == FIRMWARE_PATH else self.patch_size_limit
        return min(limit, self.max_body_bytes)

    @property
    def bind_host(self) -> str:
        """pyDE1's '' means every IPv4 interface."""
        return self.host or "0.0.0.0"

    @classmethod
    def from_config(cls, config: Any) -> "HttpSettings":
        """From a loaded ``pyde1.config.Config`` (None: the defaults above)."""
        if config is None:
            return cls()
        import json

        from pyde1.config import response_timeout, thaw
        http = config.http
        on_connect = config.de1.PATCH_ON_CONNECT
        return cls(
            host=http.SERVER_HOST, port=http.SERVER_PORT, root=http.SERVER_ROOT,
            patch_size_limit=http.PATCH_SIZE_LIMIT, max_body_bytes=http.MAX_BODY_BYTES,
            response_timeout=float(response_timeout(config)),
            tokens=tuple(http.API_TOKENS), allowed_origins=tuple(http.ALLOWED_ORIGINS),
            threads=http.THREADS, connection_limit=http.CONNECTION_LIMIT, backlog=http.BACKLOG,
            channel_timeout=float(http.CHANNEL_TIMEOUT),
            log_directory=config.logging.LOG_DIRECTORY,
            patch_on_connect=json.dumps(thaw(on_connect)) if on_connect else None,
        )
