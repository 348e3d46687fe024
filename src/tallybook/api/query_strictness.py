"""Unknown query parameters are refused on the native API, as unknown body fields are.

Why: a list or an export silently ignoring a misspelt filter (`?stauts=pending`) answers
every row as if it matched — for a money service, a wrong answer that looks right. So a
query parameter the operation does not declare is a 422 naming it, like any invalid input.

Each route's declared parameters are worked out on its first request and kept in the app's
state by the route's unique id; later requests cost a set difference, on the event loop (an
async dependency: no threadpool hop on the transfer hot path).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute


def _query_aliases(dependant: Dependant) -> set[str]:
    """The query parameters `dependant` takes, its dependencies' included (by their alias)."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_aliases(dependency)
    return names


def _declared(request: Request, route: APIRoute) -> frozenset[str]:
    known: dict[str, frozenset[str]] = request.app.state.declared_query_parameters
    declared = known.get(route.unique_id)
    if declared is None:
        declared = known[route.unique_id] = frozenset(_query_aliases(route.dependant))
    return declared


async def refuse_unknown_query_parameters(request: Request) -> None:
    """A dependency of every native route: 422 naming each undeclared query parameter."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    unknown = sorted(set(request.query_params) - _declared(request, route))
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "is not a parameter of this operation",
                    "input": request.query_params.get(name),
                }
                for name in unknown
            ]
        )
