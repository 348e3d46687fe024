"""The fast lane: a `DirectRoute`'s usual request answered in front of the app, past its
middleware and its router.

Why: under the single-transfer load, what lies between the server and a direct route's
handler — Starlette's exception middleware, the walk through the included routers, FastAPI's
request wrapper with its two exit stacks — took 11% of a worker's time with the GIL, nearly
half as much as the handler itself; and the middleware in front of those (FastAPI's own three,
which wrap every message of a request, and our body limit) most of another 7% (session 18).

`FastLane` stands in front of the whole app (`TallybookApp`), behind only the request
observers' middleware (`ObservedRequests`, which so sees every request once, answered here
or not), and does itself what the app's middleware would do for the requests it answers:
takes only a body whose declared `Content-Length` is within the body limit (any other goes
the usual way, through `BodyLimit`), and answers an error nothing else answers as the server
error middleware would (a 500, then the error raised again for the server to log). It learns
a route from the router: after a request the router matched to a direct route whose template
is the request's path itself (no path parameters, not mounted) and whose methods include the
request's (the router also sets the route of a path it refuses with 405), later requests of
that method and path go straight to the route's direct handler (`DirectRoute.direct`), with
`scope["route"]` set as the router sets it. A request the handler declines goes on to the
app as usual, its body replayed and marked declined (`direct_route.DECLINED`, so the route
does not offer it again); an error it raises is answered by the app's handler for that
error, as Starlette's exception middleware would, or by the server error middleware when
there is none.

FastAPI's own telemetry (OpenTelemetry spans and metrics) is off in Tallybook's app, which
has its own metrics: the lane would otherwise answer requests the telemetry never saw.
"""

from __future__ import annotations

import inspect
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tallybook.api.body_limit import declared_length
from tallybook.api.direct_route import DECLINED


class FastLane:
    """`app` answers every request the lane does not."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int | None = None) -> None:
        self.app = app
        self._max_body_bytes = max_body_bytes
        self._routes: dict[tuple[str, str], Any] = {}  # (method, path) -> a DirectRoute
        self._guarded: ServerErrorMiddleware | None = None  # built at first use, see `_answer`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http":
            route = self._routes.get((scope["method"], scope["path"]))
        if route is None or not self._body_within_limit(scope):
            await self.app(scope, receive, send)
            self._learn(scope)
            return
        scope.update(route=route, endpoint=route.endpoint, path_params={})
        if self._guarded is None:
            app = scope["app"]
            handlers = app.exception_handlers
            handler = handlers.get(500) or handlers.get(Exception)
            debug = getattr(app, "debug", False)
            self._guarded = ServerErrorMiddleware(self._answer, handler=handler, debug=debug)
        await self._guarded(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            answer = await scope["route"].direct(request)
        except Exception as error:
            answer = await _handled(request, error)
        if answer is None:
            scope[DECLINED] = True
            await self.app(scope, _replaying(request, receive), send)
            return
        await answer(scope, receive, send)

    def _body_within_limit(self, scope: Scope) -> bool:
        """Whether the request declares a body length within the limit (a body without one,
        chunked, is counted as it streams in by `BodyLimit`, the usual way)."""
        if self._max_body_bytes is None:
            return True
        declared = declared_length(scope)
        return declared is not None and declared <= self._max_body_bytes

    def _learn(self, scope: Scope) -> None:
        route: Any = scope.get("route")
        if (
            hasattr(route, "direct")
            and scope["method"] in route.methods  # not a 405 the router answered for the path
            and route.path == scope["path"]
            and not scope.get("root_path")
        ):
            self._routes[(scope["method"], scope["path"])] = route


async def _handled(request: Request, error: Exception) -> Response:
    """The app's answer to `error`, its handler found as Starlette's exception middleware
    finds it: by status code for an HTTPException, then by the error's classes. A handler for
    `Exception` or 500 is the server error middleware's, which answers and raises again (so
    the server logs the error): such an error is raised again here, for it."""
    handlers = {
        key: handler
        for key, handler in request.app.exception_handlers.items()
        if key not in (500, Exception)
    }
    handler = handlers.get(error.status_code) if isinstance(error, HTTPException) else None
    if handler is None:
        handler = next((handlers[kind] for kind in type(error).__mro__ if kind in handlers), None)
    if handler is None:
        raise error
    if inspect.iscoroutinefunction(handler):
        answer = await handler(request, error)
    else:
        answer = await run_in_threadpool(handler, request, error)
    assert isinstance(answer, Response)
    return answer


def _replaying(request: Request, receive: Receive) -> Receive:
    """`receive` for the app after the direct handler read the body: that body first, once."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": await request.body(), "more_body": False}

    return replay
