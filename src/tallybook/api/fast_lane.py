"""The fast lane: a `DirectRoute`'s usual request answered from the middleware, past the router.

Why: under the single-transfer load, what lies between the app's middleware and a direct
route's handler — Starlette's exception middleware, the walk through the included routers,
FastAPI's request wrapper with its two exit stacks — took 11% of a worker's time with the
GIL, nearly half as much as the handler itself.

`FastLane` is the innermost of the app's middleware, so the access log, the metrics and the
body limit see its requests like any other. It learns a route from the router: after a
request the router matched to a direct route whose template is the request's path itself (no
path parameters, not mounted) and whose methods include the request's (the router also sets
the route of a path it refuses with 405), later requests of that method and path go straight
to the route's direct handler (`DirectRoute.direct`), with `scope["route"]` set as the router
sets it. A request the handler declines goes on to the app as usual, its body replayed and
marked declined (`direct_route.DECLINED`, so the route does not offer it again); an
error it raises is answered by the app's handler for that error, as Starlette's exception
middleware would, or goes up to the server's error handler when there is none.
"""

from __future__ import annotations

import inspect
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tallybook.api.direct_route import DECLINED


class FastLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[tuple[str, str], Any] = {}  # (method, path) -> a DirectRoute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self._routes.get((scope["method"], scope["path"]))
        if route is None:
            await self.app(scope, receive, send)
            self._learn(scope)
            return
        scope.update(route=route, endpoint=route.endpoint, path_params={})
        request = Request(scope, receive, send)
        try:
            answer = await route.direct(request)
        except Exception as error:
            answer = await _handled(request, error)
        if answer is None:
            scope[DECLINED] = True
            await self.app(scope, _replaying(request, receive), send)
            return
        await answer(scope, receive, send)

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
