"""waitress in a thread of its own, stoppable from another thread without races.

The serving thread runs waitress's event loop one poll at a time and checks a stop flag
between polls; ``stop`` sets the flag and pulls waitress's trigger so the poll returns at
once, joins the thread, and only then closes the sockets and the worker threads, from the
stopping thread (nothing is closed under the loop's feet).
"""

from __future__ import annotations

import logging
import threading

from waitress import wasyncore
from waitress.server import create_server

from actors.http.channel import WorkerAwareChannel
from pyde1.api.settings import HttpSettings

log = logging.getLogger("pyde1.http")
# waitress warns "Task queue depth is N" whenever all worker threads are busy; under a burst of
# clients that is every request. Queueing is expected and bounded (connection_limit).
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class HttpServer:
    def __init__(self, app, settings: HttpSettings) -> None:
        self.settings = settings
        # Binding happens here, in the caller's thread: a port in use fails the start.
        self._server = create_server(
            app, host=settings.bind_host, port=settings.port, threads=settings.threads,
            backlog=settings.backlog, channel_timeout=settings.channel_timeout,
            connection_limit=settings.connection_limit,
            max_request_body_size=settings.max_body_bytes,
            ident="pyde1", clear_untrusted_proxy_headers=True, expose_tracebacks=False)
        # Instance attribute, read by waitress's handle_accept for every new connection.
        self._server.channel_class = WorkerAwareChannel
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.effective_host)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.port}{self.settings.root}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"http:{self.port}")
        self._thread.start()

    def _run(self) -> None:
        server = self._server
        while not self._stop.is_set():
            try:
                wasyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map,
                               use_poll=server.adj.asyncore_use_poll, count=1)
            except Exception:  # keep serving: one broken connection must not end the server
                log.exception("HTTP server loop error")

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop accepting and serving; True if everything ended within ``timeout``."""
        self._stop.set()
        try:
            self._server.pull_trigger()
        except OSError:
            pass
        clean = True
        if self._thread is not None:
            self._thread.join(timeout)
            clean = not self._thread.is_alive()
        wasyncore.close_all(self._server._map)
        # Worker threads may be waiting on an actor; they give up at their own deadline.
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        return clean
