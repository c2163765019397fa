"""A waitress channel that does not make the server's event loop spin while a worker writes.

Waitress's loop asks ``select`` for every channel whose ``writable()`` is true, and a channel
is writable as soon as its output buffer holds a byte. While a worker thread is serving a
request it writes its own response (``write_soon`` appends and sends under the channel's
``outbuf_lock``); if the loop wakes in that window it can only try the lock, fail, and go
round again, and the socket is still writable, so ``select`` returns at once: a busy loop.
Under many keep-alive clients on two cores that loop took the GIL from the very workers
holding the locks, which kept more channels in that window, which kept the loop spinning:
measured with 64 clients, 10,000-20,000 loop turns per second, every flush attempt locked
out, throughput down from ~2,700 to ~300 requests/s for the rest of the run, p99 over 250 ms.

So while a worker holds the lock, the channel is not offered to ``select`` for writing. No
wake-up is lost: a worker that leaves output unsent (a full socket buffer, or a response
over the high-water mark) pulls the server's trigger after releasing the lock, and so does
every finished request, and the next loop turn sees the lock free.
"""

from __future__ import annotations

from waitress.channel import HTTPChannel


class WorkerAwareChannel(HTTPChannel):
    def writable(self):
        if self.requests and self.total_outbufs_len and not (self.will_close or self.close_when_flushed):
            # A worker serves this channel. If it holds the output lock it is writing; the loop
            # could not flush anyway (it only tries the lock) and must not spin on select.
            lock = self.outbuf_lock
            if not lock.acquire(False):
                return False
            lock.release()
        return super().writable()
