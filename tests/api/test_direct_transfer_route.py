"""`POST /v1/transfers` resolves the usual request by hand (`DirectRoute`) and leaves every
other one to FastAPI: both ways must answer alike, and every refusal stays FastAPI's."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import pytest
from fastapi import Request, Response
from fastapi.testclient import TestClient
from starlette.types import Message

from tallybook.api.transfers import _usual_transfer_request, create_transfer
from tests.api.conftest import Keys
from tests.api.helpers import create_account, top_up_body

# A content type FastAPI reads as JSON but the direct resolver does not take: the request
# goes the general way, with the same key and body.
GENERAL_WAY = "application/json; charset=utf-8"


def _post(client: TestClient, keys: Keys, body: dict[str, Any], key: str, content_type: str) -> Any:
    return client.post(
        "/v1/transfers",
        json=body,
        headers=keys.write | {"Idempotency-Key": key, "Content-Type": content_type},
    )


def _resolve(client: TestClient, headers: dict[str, str], body: bytes) -> dict[str, Any] | None:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/transfers",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": client.app,
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return asyncio.run(_usual_transfer_request(Request(scope, receive), Response()))


def _remember_write_key(client: TestClient, keys: Keys, account_id: str) -> None:
    """The direct way takes only a key the process remembers; a first read remembers it."""
    assert client.get(f"/v1/accounts/{account_id}", headers=keys.write).status_code == 200


def test_the_usual_request_takes_the_direct_way(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.admin, "alice")
    _post(client, keys, top_up_body(alice), "remember-the-key", GENERAL_WAY)
    client.get(f"/v1/accounts/{alice}", headers=keys.read)  # remembered, but may not write
    body = json.dumps(top_up_body(alice)).encode()
    usual = keys.write | {"Content-Type": "application/json", "Idempotency-Key": "k-1"}

    arguments = _resolve(client, usual, body)

    assert arguments is not None
    # Every parameter of the endpoint is resolved: one added later must be added here too.
    assert set(arguments) == set(inspect.signature(create_transfer).parameters)
    assert arguments["idempotency_key"] == "k-1"
    assert arguments["body"].credit_account_id == alice
    assert _resolve(client, usual | {"Content-Type": GENERAL_WAY}, body) is None
    assert _resolve(client, keys.read | {"Content-Type": "application/json"}, body) is None


def test_the_direct_and_the_general_way_answer_alike(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.admin, "alice")
    body = top_up_body(alice, "12.50") | {"order_number": "ORD-1", "tags": ["books"]}
    _remember_write_key(client, keys, alice)
    usual = keys.write | {"Content-Type": "application/json", "Idempotency-Key": "direct-1"}
    assert _resolve(client, usual, json.dumps(body).encode()) is not None  # the direct way

    direct = _post(client, keys, body, "direct-1", "application/json")
    general = _post(client, keys, body, "general-1", GENERAL_WAY)

    assert direct.status_code == general.status_code == 201
    assert direct.headers.keys() == general.headers.keys()
    assert direct.headers["content-type"] == general.headers["content-type"]
    varying = {"id", "created_at", "idempotency_key"}
    first, second = direct.json(), general.json()
    assert list(first) == list(second)
    assert {k: v for k, v in first.items() if k not in varying} == {
        k: v for k, v in second.items() if k not in varying
    }
    assert first["amount"] == "12.50"


def test_a_replay_the_direct_way_answers_the_first_answer_marked(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.admin, "alice")
    first = _post(client, keys, top_up_body(alice), "again", GENERAL_WAY)
    replay = _post(client, keys, top_up_body(alice), "again", "application/json")

    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == first.content


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"params": {"dry_run": "1"}}, 422, "invalid_request"),
        ({"headers": {"Idempotency-Key": ""}}, 422, "invalid_request"),
        ({"headers": {"Idempotency-Key": "k" * 1000}}, 422, "invalid_request"),
        ({"headers": {"Authorization": "Bearer tb_not-a-key"}}, 401, "unauthenticated"),
        ({"headers": {"Authorization": "Basic dGI6eA=="}}, 401, "unauthenticated"),
        ({"body": {"amount": 12.5}}, 422, "invalid_request"),
        ({"body": {"colour": "red"}}, 422, "invalid_request"),
        (
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
    ],
    ids=[
        "query-parameter",
        "empty-key",
        "long-key",
        "unknown-api-key",
        "not-bearer",
        "number-amount",
        "unknown-field",
        "not-json",
    ],
)
def test_every_unusual_request_is_refused_as_fastapi_refuses_it(
    client: TestClient, keys: Keys, change: dict[str, Any], status: int, code: str
) -> None:
    alice = create_account(client, keys.admin, "alice")
    _remember_write_key(client, keys, alice)  # so only the change itself can turn it away
    request: dict[str, Any] = {
        "json": top_up_body(alice) | change.get("body", {}),
        "headers": keys.write | {"Content-Type": "application/json"} | change.get("headers", {}),
        "params": change.get("params"),
    }
    if "content" in change:
        request["content"] = change["content"]
        del request["json"]
    if "params" not in change:  # the direct resolver declines it: FastAPI answers
        content = request.get("content") or json.dumps(request["json"]).encode()
        assert _resolve(client, request["headers"], content) is None

    answer = client.post("/v1/transfers", **request)

    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert client.get(f"/v1/accounts/{alice}", headers=keys.read).json()["balances"] == []


def test_a_read_key_may_not_move_money_either_way(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.admin, "alice")
    for content_type in ("application/json", GENERAL_WAY):
        answer = client.post(
            "/v1/transfers",
            json=top_up_body(alice),
            headers=keys.read | {"Content-Type": content_type},
        )
        assert answer.status_code == 403
        assert answer.json()["code"] == "forbidden"
