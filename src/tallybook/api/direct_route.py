"""A route whose usual request skips FastAPI's general dependency machinery.

Why: on the single-transfer hot path, FastAPI's per-request work — walking the dependency
tree (query strictness, the caller and its two security schemes, the ledger, the sub-response,
the `Idempotency-Key` header), checking the content type with `email.message`, re-validating
the returned model — cost several times what the endpoint itself does, and under load the
event loop's time is what limits a server process.

A `DirectRoute` takes a `resolver`: a hand-written equivalent of the endpoint's parameters for
the usual request. When it returns the endpoint's arguments, the endpoint runs with them and
its result is serialized as FastAPI would (the response model's JSON, the route's status code,
the headers the endpoint set on its sub-response). When it returns None — anything unusual,
every malformed or unauthorised request among them — the request goes through FastAPI's own
handler, which decides and words every error exactly as before. A request carrying text the
database cannot store (a NUL, a lone surrogate) goes that way before any resolver sees it
(the app's `refuse_unstorable_text` refuses it), so no resolver has to look for it. The
resolver may only read the request; it must not start anything it would have to undo.

The fast lane (`fast_lane`) calls a route's direct handler from the middleware, without the
router, once it knows the route by its path.

The route is declared as usual, so the OpenAPI document is FastAPI's own. What FastAPI would
have resolved is the resolver's to mirror: a parameter added to the endpoint, or a dependency
added to the app or the router, must be added to the resolver too (a test compares the
endpoint's parameters with what the resolver returns).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from tallybook.api.unstorable_text import unstorable_text_issues

Resolver = Callable[[Request, Response], Awaitable[dict[str, Any] | None]]
DirectHandler = Callable[[Request], Awaitable[Response | None]]

# Set in the scope of a request the direct handler has already declined (the fast lane's):
# the route then hands it straight to FastAPI's handler instead of offering it again.
DECLINED = "tallybook.direct_declined"


def sub_response() -> Response:
    """What FastAPI hands an endpoint that declares a `Response` parameter: headers (and a
    status) to merge into the answer."""
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]  # FastAPI's own "not set"
    return response


def _direct_handler(route: APIRoute, resolver: Resolver) -> DirectHandler:
    """The route's answer to a request its resolver takes, None for one it declines."""
    endpoint = route.endpoint
    status_code = route.status_code or 200  # FastAPI's default, as for JSONResponse
    serializer = TypeAdapter[Any](route.response_model)

    async def direct(request: Request) -> Response | None:
        if await unstorable_text_issues(request):
            return None
        headers = sub_response()
        arguments = await resolver(request, headers)
        if arguments is None:
            return None
        result = await endpoint(**arguments)
        if isinstance(result, Response):  # FastAPI sends an endpoint's own as it is
            return result
        answer = Response(
            serializer.dump_json(result, by_alias=True),
            status_code=headers.status_code or status_code,
            media_type="application/json",
        )
        answer.headers.raw.extend(headers.headers.raw)
        return answer

    return direct


def direct_route(resolver: Resolver) -> type[APIRoute]:
    """An `APIRoute` class for one endpoint, trying `resolver` before FastAPI's handler."""
    return resolved_by(lambda _route: resolver)


def resolved_by(resolver_of: Callable[[APIRoute], Resolver]) -> type[APIRoute]:
    """An `APIRoute` class trying, before FastAPI's handler, the resolver `resolver_of` works
    out from the route itself (its parameters, its dependencies)."""

    class DirectRoute(APIRoute):
        direct: DirectHandler  # set with the handler; the fast lane calls it too

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            general = super().get_route_handler()
            direct = self.direct = _direct_handler(self, resolver_of(self))

            async def handler(request: Request) -> Response:
                answer = None if DECLINED in request.scope else await direct(request)
                return answer if answer is not None else await general(request)

            return handler

    return DirectRoute
