"""The NUL character (U+0000) is refused wherever a client can send text, as a 422 naming
the field, and nothing is written: PostgreSQL cannot hold it, and SQLite must not either, so
that both databases answer alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.api.helpers import available, create_account, top_up_body

REFUSAL = "must not contain the NUL character (U+0000)"
NAME_REFUSAL = "the name must not contain the NUL character (U+0000)"
SURROGATE_REFUSAL = "must be Unicode text: a lone surrogate (\\ud800-\\udfff) is not a character"
# A content type FastAPI reads as JSON but the direct way does not take (see
# test_direct_transfer_route.py): the same request then goes through FastAPI's handler.
GENERAL_WAY = "application/json; charset=utf-8"


def _refused_field(answer: Any, message: str = REFUSAL) -> str:
    """The field a 422 for a NUL names (and checks that it says why)."""
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_request"
    assert problem["errors"][0]["message"] == message
    field: str = problem["field"]
    return field


def _nothing_moved(client: TestClient, keys: Keys, account_id: str) -> bool:
    transfers = client.get("/v1/transfers", headers=keys.read).json()["data"]
    return transfers == [] and available(client, keys.read, account_id) == "0"


def _remember_write_key(client: TestClient, keys: Keys, account_id: str) -> None:
    """A remembered key lets `POST /v1/transfers` take its direct way, which skips FastAPI's
    dependencies: the refusal must hold there too."""
    assert client.get(f"/v1/accounts/{account_id}", headers=keys.write).status_code == 200


@pytest.mark.parametrize("content_type", ["application/json", GENERAL_WAY])
def test_a_transfer_note_with_a_nul_is_refused_naming_the_note(
    client: TestClient, keys: Keys, content_type: str
) -> None:
    alice = create_account(client, keys.write, "alice")
    _remember_write_key(client, keys, alice)

    answer = client.post(
        "/v1/transfers",
        content=json.dumps(top_up_body(alice, "1.00") | {"note": "a\u0000b"}),
        headers=keys.write | {"Content-Type": content_type},
    )

    assert _refused_field(answer) == "note"
    assert _nothing_moved(client, keys, alice)


def test_a_body_in_utf_16_cannot_hide_a_nul(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    _remember_write_key(client, keys, alice)
    body = top_up_body(alice) | {"order_number": "ORD\u00001"}

    answer = client.post(
        "/v1/transfers",
        content=json.dumps(body).encode("utf-16"),
        headers=keys.write | {"Content-Type": "application/json"},
    )

    assert _refused_field(answer) == "order_number"
    assert _nothing_moved(client, keys, alice)


def test_an_escaped_backslash_before_u0000_is_text_and_is_kept(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    note = "a\\u0000b"  # a backslash, then "u0000": no NUL at all

    answer = client.post(
        "/v1/transfers", json=top_up_body(alice) | {"note": note}, headers=keys.write
    )

    assert answer.status_code == 201, answer.text
    stored = client.get(f"/v1/transfers/{answer.json()['id']}", headers=keys.read).json()
    assert answer.json()["note"] == stored["note"] == note


def test_a_nul_deep_in_metadata_is_refused_naming_its_path(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    in_a_value = {"shipping": {"lines": ["first", "se\u0000cond"]}}
    in_a_key = {"shipping": {"li\u0000nes": "two"}}

    by_value = client.post(
        "/v1/transfers", json=top_up_body(alice) | {"metadata": in_a_value}, headers=keys.write
    )
    by_key = client.post(
        "/v1/transfers", json=top_up_body(alice) | {"metadata": in_a_key}, headers=keys.write
    )

    assert _refused_field(by_value) == "metadata.shipping.lines.1"
    assert _refused_field(by_key, NAME_REFUSAL) == "metadata.shipping.li\\u0000nes"
    assert _nothing_moved(client, keys, alice)


def test_a_nul_in_one_transfer_of_a_batch_refuses_the_batch(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    tagged = top_up_body(alice) | {"tags": ["books", "\u0000"]}

    answer = client.post(
        "/v1/transfers/batch",
        json={"transfers": [top_up_body(alice), tagged], "atomic": False},
        headers=keys.write,
    )

    assert _refused_field(answer) == "transfers.1.tags.1"
    assert _nothing_moved(client, keys, alice)


def test_an_idempotency_key_with_a_nul_is_refused_naming_the_header(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    _remember_write_key(client, keys, alice)

    answer = client.post(
        "/v1/transfers",
        json=top_up_body(alice),
        headers=keys.write | {"Idempotency-Key": "retry\u00001"},
    )

    assert _refused_field(answer) == "idempotency-key"
    assert _nothing_moved(client, keys, alice)


def test_an_account_named_with_a_nul_is_not_created(client: TestClient, keys: Keys) -> None:
    answer = client.post(
        "/v1/accounts",
        json={"external_id": "alice\u0000", "name": "Alice"},
        headers=keys.write,
    )

    assert _refused_field(answer) == "external_id"
    assert client.get("/v1/accounts", headers=keys.read).json()["data"] == []


@pytest.mark.parametrize("path", ["/v1/transfers", "/v1/entries"])
def test_a_list_filter_with_a_nul_is_refused_naming_the_parameter(
    client: TestClient, keys: Keys, path: str
) -> None:
    # `/v1/entries` resolves its usual request by hand once the key is remembered.
    assert client.get(path, headers=keys.read).status_code == 200

    answer = client.get(f"{path}?order_number=ORD%001", headers=keys.read)

    assert _refused_field(answer) == "order_number"


def test_a_path_segment_with_a_nul_is_refused_naming_the_parameter(
    client: TestClient, keys: Keys
) -> None:
    # A channel's callback: the channel is text from the path, read before any signature.
    answer = client.post(
        f"/v1/callbacks/{keys.tenant.id}/ali%00pay",
        json={"topup_id": "0190a000-0000-7000-8000-000000000000", "status": "failed"},
    )

    assert _refused_field(answer) == "channel"


def test_a_lone_surrogate_in_metadata_is_refused_naming_where(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    body = json.dumps(top_up_body(alice, "1.00") | {"metadata": {"colour": "\ud800"}})

    answer = client.post(
        "/v1/transfers", content=body, headers=keys.write | {"Content-Type": "application/json"}
    )

    assert _refused_field(answer, SURROGATE_REFUSAL) == "metadata.colour"
    assert _nothing_moved(client, keys, alice)


def test_a_well_paired_surrogate_escape_is_a_character_and_is_kept(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    body = json.dumps(top_up_body(alice, "1.00") | {"metadata": {"mood": "\U0001f600"}})
    assert "\\ud83d\\ude00" in body

    answer = client.post(
        "/v1/transfers", content=body, headers=keys.write | {"Content-Type": "application/json"}
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["metadata"] == {"mood": "\U0001f600"}
