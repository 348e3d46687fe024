"""The fast lane: once the router has matched a direct route by its own path, later requests
to that path skip the router and answer exactly as it would have them answered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from tallybook.api import direct_route
from tallybook.api.fast_lane import FastLane
from tallybook.api.unstorable_text import Issue, unstorable_text_issues
from tests.api.conftest import Keys
from tests.api.helpers import create_account, top_up_body, transfer

USUAL = {"Content-Type": "application/json"}


def _count_router_handled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests a route handled through the router, from now on."""
    handled: list[str] = []
    through_the_router = APIRoute.handle

    async def counting(route: APIRoute, scope: Scope, receive: Receive, send: Send) -> None:
        handled.append(scope["path"])
        await through_the_router(route, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", counting)
    return handled


def test_after_the_first_transfer_the_next_skip_the_router_and_are_counted_the_same(
    client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = create_account(client, keys.admin, "alice")
    handled = _count_router_handled(monkeypatch)

    for n in range(3):
        answer = client.post(
            "/v1/transfers",
            json=top_up_body(alice, "1.00"),
            headers=keys.write | USUAL | {"Idempotency-Key": f"lane-{n}"},
        )
        assert answer.status_code == 201, answer.text

    assert handled.count("/v1/transfers") == 1  # the first, which the lane learns from
    balances = client.get(f"/v1/accounts/{alice}", headers=keys.read).json()["balances"]
    assert balances[0]["posted"] == "3.00"
    assert _requests_counted(client, "POST", "/v1/transfers", "201") == 3


@pytest.mark.parametrize("declared_length", [True, False])
def test_an_oversized_body_on_a_learned_path_is_refused_with_413_and_moves_nothing(
    client: TestClient, keys: Keys, declared_length: bool
) -> None:
    """The lane takes only a body whose declared length is within the limit; any other goes
    through the app's body limit, which counts a chunked body as it streams in."""
    alice = create_account(client, keys.admin, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")  # learned, and the key remembered
    body = b'{"debit_account_id": "@world", "note": "' + b"x" * 3_000_000 + b'"}'

    def chunks() -> Iterator[bytes]:
        yield from (body[n : n + 10_000] for n in range(0, len(body), 10_000))

    answer = client.post(
        "/v1/transfers",
        content=body if declared_length else chunks(),
        headers=keys.write | USUAL | {"Idempotency-Key": "too-large"},
    )

    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"
    balances = client.get(f"/v1/accounts/{alice}", headers=keys.read).json()["balances"]
    assert balances[0]["posted"] == "1.00"


def test_a_request_the_lane_answers_is_observed_once_with_its_status(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.admin, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")  # learned
    transfer(client, keys.write, "@world", alice, "1.00")  # through the lane
    refused = client.post(  # the lane offers it, the handler declines: the app answers
        "/v1/transfers",
        json=top_up_body(alice, "1.00") | {"colour": "red"},
        headers=keys.write | USUAL,
    )

    assert refused.status_code == 422
    assert _requests_counted(client, "POST", "/v1/transfers", "201") == 2
    assert _requests_counted(client, "POST", "/v1/transfers", "422") == 1


def _count_direct_offers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests offered to a direct handler (its first step is the
    unstorable-text check), from now on."""
    offered: list[str] = []

    async def counting(request: Request) -> list[Issue]:
        offered.append(request.url.path)
        return await unstorable_text_issues(request)

    monkeypatch.setattr(direct_route, "unstorable_text_issues", counting)
    return offered


@pytest.mark.parametrize(
    ("change", "status", "code", "declined"),
    [
        ({"params": {"dry_run": "1"}}, 422, "invalid_request", True),
        ({"json": {"colour": "red"}}, 422, "invalid_request", True),
        ({"content": b"{not json"}, 400, "invalid_json", True),
        ({"headers": {"Content-Type": "application/json; charset=utf-8"}}, 201, None, True),
        (
            {"json": {"debit_account_id": "ALICE", "amount": "5.00"}},
            409,
            "insufficient_funds",
            False,
        ),
    ],
    ids=["query-parameter", "unknown-field", "not-json", "general-way", "core-refusal"],
)
def test_a_request_after_the_route_is_learned_is_answered_as_the_router_answers_it(
    client: TestClient,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    status: int,
    code: str | None,
    declined: bool,
) -> None:
    """The lane offers the request to the direct handler once; one it declines goes to the
    router (with its body), one it takes never does."""
    alice = create_account(client, keys.admin, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")  # learned, and the key remembered
    body = top_up_body(alice) | change.get("json", {})
    if body["debit_account_id"] == "ALICE":
        body["debit_account_id"] = alice
        body["credit_account_id"] = create_account(client, keys.admin, "bob")
    request: dict[str, Any] = {
        "headers": keys.write | USUAL | change.get("headers", {}),
        "params": change.get("params"),
    }
    if "content" in change:
        request["content"] = change["content"]
    else:
        request["json"] = body

    handled = _count_router_handled(monkeypatch)
    offered = _count_direct_offers(monkeypatch)

    answer = client.post("/v1/transfers", **request)

    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == code
    assert offered == ["/v1/transfers"]
    assert handled == (["/v1/transfers"] if declined else [])


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_another_method_on_a_learned_path_is_refused_every_time_and_moves_nothing(
    client: TestClient, keys: Keys, method: str
) -> None:
    """The router sets the route of a path it refuses for its method (405): the lane must not
    learn from that and answer the next such request with the route's handler."""
    alice = create_account(client, keys.admin, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")  # learned, and the key remembered

    answers = [
        client.request(
            method,
            "/v1/transfers",
            json=top_up_body(alice, "3.00"),
            headers=keys.write | USUAL | {"Idempotency-Key": f"{method}-{n}"},
        )
        for n in range(2)
    ]

    assert [answer.status_code for answer in answers] == [405, 405]
    balances = client.get(f"/v1/accounts/{alice}", headers=keys.read).json()["balances"]
    assert balances[0]["posted"] == "1.00"


def _requests_counted(client: TestClient, method: str, route: str, status: str) -> float:
    families = text_string_to_metric_families(client.get("/metrics").text)
    samples = next(f.samples for f in families if f.name == "tallybook_http_requests")
    return sum(
        s.value
        for s in samples
        if s.name == "tallybook_http_requests_total"
        and s.labels == {"method": method, "route": route, "status": status}
    )


class _Route:
    """A stand-in direct route: what the lane reads of one."""

    def __init__(self, path: str, answer: Response | Exception) -> None:
        self.path = path
        self.methods = {"GET"}
        self.endpoint = object()
        self.answer = answer

    async def direct(self, request: Request) -> Response | None:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _lane_over(route: _Route) -> tuple[FastLane, list[str]]:
    """A lane in front of an app standing in for the router: it matches every request to
    `route` and answers 200 "router"."""
    reached: list[str] = []

    async def router(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        scope["route"] = route
        await PlainTextResponse("router")(scope, receive, send)

    return FastLane(router), reached


def _get(
    lane: FastLane,
    path: str,
    handlers: dict[Any, Any] | None = None,
    *,
    statuses: list[int] | None = None,
) -> int | None:
    """GET `path` through the lane of an app with these exception handlers; the status sent
    (also added to `statuses`, for a request that then raises)."""
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "app": _App(handlers or {}),
    }
    statuses = [] if statuses is None else statuses

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    asyncio.run(lane(scope, receive, send))
    return statuses[0] if statuses else None


class _App:
    """The app as the lane reads it: its exception handlers."""

    def __init__(self, handlers: dict[Any, Any]) -> None:
        self.exception_handlers = handlers


def test_a_route_with_path_parameters_is_never_learned() -> None:
    lane, reached = _lane_over(_Route("/v1/accounts/{account_id}", PlainTextResponse("lane")))

    _get(lane, "/v1/accounts/7")
    _get(lane, "/v1/accounts/7")

    assert reached == ["/v1/accounts/7", "/v1/accounts/7"]


def test_an_error_the_app_has_no_handler_for_is_answered_500_and_goes_up_to_the_server() -> None:
    lane, reached = _lane_over(_Route("/v1/things", RuntimeError("a bug")))
    _get(lane, "/v1/things")  # learned
    statuses: list[int] = []

    with pytest.raises(RuntimeError, match="a bug"):
        _get(lane, "/v1/things", statuses=statuses)
    assert statuses == [500]  # as the server error middleware answers it
    assert reached == ["/v1/things"]


def test_an_error_is_answered_by_its_handler_as_starlette_finds_it() -> None:
    def teapot(request: Request, error: Exception) -> Response:  # a plain function, too
        return PlainTextResponse("by status", status_code=418)

    async def by_class(request: Request, error: Exception) -> Response:
        return PlainTextResponse("by class", status_code=400)

    handlers = {418: teapot, HTTPException: by_class}
    lane, _ = _lane_over(_Route("/v1/things", HTTPException(418)))
    _get(lane, "/v1/things", handlers)  # learned

    assert _get(lane, "/v1/things", handlers) == 418
    lane, _ = _lane_over(_Route("/v1/things", HTTPException(404)))
    _get(lane, "/v1/things", handlers)
    assert _get(lane, "/v1/things", handlers) == 400


def test_an_error_only_the_servers_handler_takes_goes_up_to_it() -> None:
    async def server_error(request: Request, error: Exception) -> Response:
        return PlainTextResponse("oops", status_code=500)

    lane, _ = _lane_over(_Route("/v1/things", RuntimeError("a bug")))
    _get(lane, "/v1/things", {Exception: server_error})  # learned

    with pytest.raises(RuntimeError, match="a bug"):
        _get(lane, "/v1/things", {Exception: server_error, 500: server_error})
