"""One socket write per response: uvicorn's httptools protocol, its writes of one turn of the
event loop joined into one.

Why: uvicorn writes a response's head when the app sends `http.response.start` and its body
when it sends `http.response.body`, each with its own `send` system call; on loopback each
call also carries the packet to the client, and the two took 16% of a worker's GIL time under
the single-transfer load (docs/performance.md, session 17). An app sends both in the same turn
of the loop (nothing between them waits), so the writes of a turn are gathered and written
together at the start of the next.

Order is kept (every write of the connection goes through here, in order), and nothing is
lost on closing: `close` writes what is gathered first, as a transport writes its buffer
before it closes. Everything else is the transport's own (`__getattr__`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _JoinedWrites:
    """A transport whose writes of one turn of the loop reach the real one as one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._gathered: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._gathered:
            self._loop.call_soon(self._write_gathered)
        self._gathered.append(data)

    def close(self) -> None:
        self._write_gathered()
        self._transport.close()

    def _write_gathered(self) -> None:
        if not self._gathered:
            return
        data = b"".join(self._gathered)
        self._gathered.clear()
        if not self._transport.is_closing():  # a closed transport would drop it too
            self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class JoinedWritesProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a transport that joins the writes of a turn."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        joined: Any = _JoinedWrites(transport, self.loop)
        super().connection_made(joined)
