"""One middleware that times every HTTP request and tells its observers (the metrics, the
access log) how it ended.

Why one: each observer wrapped the app in a middleware of its own, with its own `send`
wrapper and its own clock readings, on every request of the hot path. Here the request is
timed and its status noted once. Plain ASGI (not `BaseHTTPMiddleware`, which costs a task per
request); observers read what they need of the scope after the app has answered (the metrics
read `scope["route"]`, which the router, or the fast lane, set when it matched). It stands
in front of the whole app, the fast lane included (`TallybookApp.front`), so every request is
told of once, whichever answers it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Told of each answered request: its scope, its status (the response's; 500 for an error that
# went up to the server's error handler; None when neither, e.g. a client that went away) and
# the seconds from its arrival to the end of its response.
RequestObserver = Callable[[Scope, int | None, float], None]


class ObservedRequests:
    def __init__(self, app: ASGIApp, observers: Sequence[RequestObserver]) -> None:
        self.app = app
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def noting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except Exception:
            status = status or 500  # what the server's error handler then answers
            raise
        finally:
            seconds = time.perf_counter() - started
            for observe in self.observers:
                observe(scope, status, seconds)
