"""The usual request of a read endpoint, resolved by hand: a `DirectRoute` resolver worked out
from the endpoint's own parameters.

Why: FastAPI works out each parameter's kind (a model? a sequence? which alias?) again on every
request. For `GET /v1/entries`, with its twenty filters, that cost as much as reading and
writing the page, and for `GET /v1/accounts/{id}` more than reading the account.

The resolver takes the route's path, query and header parameters as FastAPI declared them and
validates each present value with the parameter's own field, so a value is accepted and
converted exactly as FastAPI would. It resolves nothing it was not built for: the route may
depend only on a `ReadCaller`-style role check (answered by `remembered_caller`), and the app's
`refuse_unknown_query_parameters` is mirrored by declining any undeclared query parameter (its
`refuse_unstorable_text` is `DirectRoute`'s own, before any resolver). Whatever it does not
take — an invalid or missing value, a repeated parameter, an unknown one, a key it would have
to read — it leaves to FastAPI's handler, which words every error.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi._compat import field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import _get_param_model, _is_json_field
from fastapi.routing import APIRoute

from tallybook.api.caller import remembered_caller, role_checked
from tallybook.api.direct_route import Resolver, resolved_by
from tallybook.model import Role

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

# Where a parameter's raw value is read from, by FastAPI's name for its location.
_SOURCES: dict[str, Callable[[Request], Mapping[str, str]]] = {
    "path": attrgetter("path_params"),
    "query": attrgetter("query_params"),
    "header": attrgetter("headers"),
}


def usual_read_route(
    router: APIRouter, path: str, **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """`router.get(path, **options)` for an endpoint whose usual request `usual_read`
    resolves."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            route_class_override=resolved_by(usual_read),
            **options,
        )
        return endpoint

    return register


@dataclass(frozen=True, slots=True)
class _Parameter:
    """One path, query or header parameter of the endpoint, as FastAPI declared it."""

    name: str
    alias: str
    field: Any  # FastAPI's ModelField: validates a value as the route would
    location: str  # "path", "query" or "header"
    source: Callable[[Request], Mapping[str, str]]  # the request's values at `location`
    required: bool
    default: Any

    def value(self, request: Request) -> tuple[bool, Any]:
        """(True, the validated value) or (False, None) when FastAPI must decide."""
        raw = self.source(request).get(self.alias)
        if raw is None:
            return not self.required, copy.deepcopy(self.default)
        value, errors = self.field.validate(raw, {}, loc=(self.location, self.alias))
        return not errors, value


def usual_read(route: APIRoute) -> Resolver:
    """The resolver of `route`'s usual request. Raises ValueError for a route it cannot
    mirror (a body, cookies, a model or list parameter, any dependency but a role check)."""
    dependant = route.dependant
    role, caller_name = _only_a_role_check(dependant)
    if dependant.body_params or dependant.cookie_params:
        raise ValueError(f"{route.path}: only path, query and header parameters")
    parameters = [
        _parameter(field, location)
        for location, fields in (
            ("path", dependant.path_params),
            ("query", dependant.query_params),
            ("header", dependant.header_params),
        )
        for field in fields
    ]
    declared_query = frozenset(p.alias for p in parameters if p.location == "query")

    async def resolve(request: Request, response: Response) -> dict[str, Any] | None:
        query = request.query_params
        if len(query) != len(query.multi_items()) or not declared_query.issuperset(query):
            return None  # a repeated or an unknown parameter: FastAPI words it
        caller = await remembered_caller(request, role)
        if caller is None:
            return None
        arguments: dict[str, Any] = {caller_name: caller}
        for parameter in parameters:
            taken, value = parameter.value(request)
            if not taken:
                return None
            arguments[parameter.name] = value
        return arguments

    return resolve


def _only_a_role_check(dependant: Dependant) -> tuple[Role, str]:
    """The role the route's one dependency checks, and the parameter it fills."""
    dependencies = dependant.dependencies
    role = role_checked(dependencies[0].call) if len(dependencies) == 1 else None
    if role is None or dependencies[0].name is None:
        raise ValueError("a usual read depends on one role-checked caller and nothing else")
    return role, dependencies[0].name


def _parameter(field: Any, location: str) -> _Parameter:
    info = field.field_info
    if _get_param_model(field) is not None or _is_json_field(field):
        raise ValueError(f"{field.name}: a model or JSON parameter is not mirrored")
    if field_annotation_is_sequence(info.annotation):
        raise ValueError(f"{field.name}: a repeated parameter is not mirrored")
    if info.validate_default or info.validation_alias not in (None, field.alias):
        raise ValueError(f"{field.name}: a validated default or a second alias is not mirrored")
    required = info.is_required()
    return _Parameter(
        name=field.name,
        alias=field.alias,
        field=field,
        location=location,
        source=_SOURCES[location],
        required=required,
        default=None if required else field.default,
    )
