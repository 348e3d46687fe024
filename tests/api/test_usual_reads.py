"""The busy read endpoints (`GET /v1/entries`, `GET /v1/accounts/{id}` and its `/balances`)
resolve the usual request by hand (`usual_read`) and leave every other one to FastAPI: both
ways must answer alike, and every refusal stays FastAPI's."""

from __future__ import annotations

import asyncio
import inspect
import urllib.parse
from collections.abc import Callable
from typing import Any
from uuid import UUID

import fastapi.dependencies.utils
import fastapi.routing
import pytest
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tallybook.api import accounts, entries, usual_reads
from tallybook.api.usual_reads import usual_read
from tests.api.conftest import Keys
from tests.api.helpers import create_account, top_up_body

ROUTES: dict[str, tuple[APIRouter, str, Callable[..., Any]]] = {
    "entries": (entries.router, "/v1/entries", entries.list_entries),
    "account": (accounts.router, "/v1/accounts/{account_id}", accounts.get_account),
    "balances": (accounts.router, "/v1/accounts/{account_id}/balances", accounts.balances_as_of),
}


def _route(name: str) -> APIRoute:
    router, path, _endpoint = ROUTES[name]
    return next(r for r in router.routes if isinstance(r, APIRoute) and r.path == path)


def _resolve(
    client: TestClient, name: str, headers: dict[str, str], query: str = "", **path: str
) -> dict[str, Any] | None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": ROUTES[name][1].format(**path),
        "path_params": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": client.app,
    }
    resolver = usual_read(_route(name))

    async def resolve() -> dict[str, Any] | None:
        return await resolver(Request(scope), Response())

    return asyncio.run(resolve())


@pytest.fixture
def alice(client: TestClient, keys: Keys) -> str:
    """An account with some history; the read key is remembered (it has been used once)."""
    account = create_account(client, keys.admin, "alice")
    for amount in ("10.00", "2.50", "0.01"):
        posted = client.post("/v1/transfers", json=top_up_body(account, amount), headers=keys.write)
        assert posted.status_code == 201, posted.text
    assert client.get(f"/v1/accounts/{account}", headers=keys.read).status_code == 200
    return account


def test_the_usual_read_takes_the_direct_way(client: TestClient, keys: Keys, alice: str) -> None:
    query = urllib.parse.urlencode({"account_id": alice, "currency": "CNY", "limit": "2"})

    arguments = _resolve(client, "entries", keys.read, query)

    assert arguments is not None
    # Every parameter of the endpoint is resolved: one added later must be mirrored too.
    assert set(arguments) == set(inspect.signature(entries.list_entries).parameters)
    assert arguments["account_id"] == UUID(alice)
    assert arguments["limit"] == 2
    assert arguments["include_total"] is False  # a default, as FastAPI gives it
    assert arguments["caller"].tenant_id == keys.tenant.id
    for name in ("account", "balances"):
        _router, _path, endpoint = ROUTES[name]
        query = "as_of=2030-01-01T00:00:00Z" if name == "balances" else ""
        resolved = _resolve(client, name, keys.read, query, account_id=alice)
        assert resolved is not None
        assert set(resolved) == set(inspect.signature(endpoint).parameters)


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=ten", "stauts=pending", "limit=2&limit=3", "currency=CNY&currency=EUR"],
    ids=["limit-too-small", "limit-not-a-number", "unknown", "repeated", "repeated-filter"],
)
def test_an_unusual_query_goes_the_general_way(
    client: TestClient, keys: Keys, alice: str, query: str
) -> None:
    assert _resolve(client, "entries", keys.read, query) is None


def test_a_missing_required_value_or_a_malformed_path_goes_the_general_way(
    client: TestClient, keys: Keys, alice: str
) -> None:
    assert _resolve(client, "balances", keys.read, "", account_id=alice) is None
    assert _resolve(client, "account", keys.read, "", account_id="not-a-uuid") is None


def test_a_key_the_process_does_not_remember_goes_the_general_way(
    client: TestClient, keys: Keys, alice: str
) -> None:
    assert _resolve(client, "entries", {"Authorization": "Bearer tb_unknown"}) is None
    assert _resolve(client, "entries", {}) is None


def _both_ways(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, get: Callable[[], Any]
) -> tuple[Any, Any]:
    """The answer the direct way, then the answer with the resolver declining every caller;
    each checked to have gone its way (FastAPI's handler solves the route's dependencies, the
    direct way does not)."""
    solved: list[object] = []
    solve = fastapi.dependencies.utils.solve_dependencies  # what fastapi.routing calls

    async def counted(*args: Any, **kwargs: Any) -> Any:
        solved.append(kwargs.get("dependant"))
        return await solve(*args, **kwargs)

    async def unknown(request: Request, needed: object) -> None:
        return None

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    direct = get()
    assert solved == [], "the usual request went FastAPI's way"
    with monkeypatch.context() as patched:
        patched.setattr(usual_reads, "remembered_caller", unknown)
        general = get()
    assert solved != [], "the general way was not taken"
    return direct, general


@pytest.mark.parametrize(
    "path",
    [
        "/v1/entries?account_id={alice}&limit=2",
        "/v1/entries?account_id={alice}&currency=CNY&type=topup&order=oldest_first",
        "/v1/entries?account_id={alice}&format=csv",
        "/v1/accounts/{alice}",
        "/v1/accounts/{alice}/balances?as_of=2030-01-01T08:00:00%2B08:00",
    ],
    ids=["page", "filtered-page", "export", "account", "balances-as-of"],
)
def test_the_direct_and_the_general_way_answer_alike(
    client: TestClient, keys: Keys, alice: str, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    url = path.format(alice=alice)
    direct, general = _both_ways(client, monkeypatch, lambda: client.get(url, headers=keys.read))

    assert direct.status_code == general.status_code == 200, general.text
    assert direct.headers["content-type"] == general.headers["content-type"]
    if "format=csv" in url:  # the file name carries the time of the request
        assert direct.text == general.text
    else:
        assert direct.json() == general.json()
        assert direct.content == general.content


@pytest.mark.parametrize(
    ("path", "headers", "status", "field"),
    [
        ("/v1/entries?limit=0", "read", 422, "limit"),
        ("/v1/entries?stauts=pending", "read", 422, "stauts"),
        ("/v1/entries?account_id=nope", "read", 422, "account_id"),
        ("/v1/accounts/{alice}/balances", "read", 422, "as_of"),
        ("/v1/accounts/{unknown}", "read", 404, "account_id"),
        ("/v1/accounts/{alice}", "none", 401, None),
    ],
    ids=["limit", "unknown-parameter", "bad-filter", "missing-as-of", "unknown-account", "no-key"],
)
def test_every_refusal_is_the_one_fastapi_gives(
    client: TestClient, keys: Keys, alice: str, path: str, headers: str, status: int,
    field: str | None,
) -> None:  # fmt: skip
    url = path.format(alice=alice, unknown="01a2099c-0000-7000-8000-000000000000")

    answer = client.get(url, headers=keys.read if headers == "read" else {})

    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in answer.text
