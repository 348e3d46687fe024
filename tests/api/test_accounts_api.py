"""Accounts over HTTP: create, sub-accounts, list filters, update, close, credit limits."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from fastapi.testclient import TestClient

from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.model import Role
from tests.api.conftest import Keys, bearer
from tests.api.helpers import available, create_account, transfer


def test_an_external_id_is_unique_in_the_tenant(client: TestClient, keys: Keys) -> None:
    create_account(client, keys.write, "alice")

    again = client.post(
        "/v1/accounts", json={"external_id": "alice", "name": "Alice 2"}, headers=keys.write
    )

    assert again.status_code == 409
    assert (
        again.json()["code"] == "duplicate_external_id" and again.json()["field"] == "external_id"
    )


def test_reserved_and_overlong_fields_are_refused_by_name(client: TestClient, keys: Keys) -> None:
    system_like = client.post(
        "/v1/accounts", json={"external_id": "@world", "name": "x"}, headers=keys.write
    )
    long_name = client.post(
        "/v1/accounts", json={"external_id": "a", "name": "x" * 201}, headers=keys.write
    )
    too_many_tags = client.post(
        "/v1/accounts",
        json={"external_id": "a", "name": "x", "tags": [str(n) for n in range(21)]},
        headers=keys.write,
    )

    assert system_like.status_code == 422 and system_like.json()["field"] == "external_id"
    assert long_name.status_code == 422 and long_name.json()["field"] == "name"
    assert too_many_tags.status_code == 422 and too_many_tags.json()["field"] == "tags"


def test_list_filters_by_parent_status_tag_external_id_and_name(
    client: TestClient, keys: Keys
) -> None:
    parent = create_account(client, keys.write, "agency", name="Sunrise Agency", tags=["b2b"])
    child = create_account(client, keys.write, "agency-1", parent_id=parent, name="Team One")
    create_account(client, keys.write, "carol", name="Carol")
    client.patch(f"/v1/accounts/{child}", json={"status": "frozen"}, headers=keys.write)

    def ids(**params: object) -> list[str]:
        answer = client.get("/v1/accounts", params=params, headers=keys.read)
        assert answer.status_code == 200, answer.text
        return [account["id"] for account in answer.json()["data"]]

    assert ids(parent_id=parent) == [child]
    assert ids(status="frozen") == [child]
    assert ids(tag="b2b") == [parent]
    assert ids(external_id="agency") == [parent]
    assert ids(q="sunrise") == [parent]
    assert len(ids(kind="customer")) == 3


def test_an_update_changes_every_field_it_names(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")

    updated = client.patch(
        f"/v1/accounts/{alice}",
        json={
            "name": "Alice Chen",
            "payout_profile": {"alipay": "alice@example.com", "full_name": "Alice Chen"},
            "metadata": {"tier": "gold"},
            "tags": ["vip"],
            "credit_limits": {"CNY": "50.00"},
        },
        headers=keys.write,
    )

    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["name"] == "Alice Chen" and body["tags"] == ["vip"]
    assert body["payout_profile"]["alipay"] == "alice@example.com"
    assert available(client, keys.read, alice) == "50.00"
    transfer(client, keys.write, alice, "@revenue", "50.00", type="order_payment")
    assert available(client, keys.read, alice) == "0.00"


def test_a_failing_update_changes_nothing(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "5.00")

    refused = client.patch(
        f"/v1/accounts/{alice}", json={"name": "New", "status": "closed"}, headers=keys.write
    )

    assert refused.status_code == 409 and refused.json()["code"] == "account_not_empty"
    account = client.get(f"/v1/accounts/{alice}", headers=keys.read).json()
    assert (account["name"], account["status"]) == ("alice", "active")


def test_closing_at_zero_is_final(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")

    closed = client.patch(f"/v1/accounts/{alice}", json={"status": "closed"}, headers=keys.write)
    reopened = client.patch(f"/v1/accounts/{alice}", json={"status": "active"}, headers=keys.write)

    assert closed.json()["status"] == "closed"
    assert reopened.status_code == 409 and reopened.json()["code"] == "account_closed"


def test_system_accounts_are_listed_and_cannot_be_changed(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    world = transfer(client, keys.write, "@world", alice, "1.00")["debit_account_id"]

    listed = client.get("/v1/accounts", params={"kind": "system"}, headers=keys.read).json()
    changed = client.patch(f"/v1/accounts/{world}", json={"name": "mine"}, headers=keys.write)

    assert [a["external_id"] for a in listed["data"]] == ["@world:CNY"]
    assert listed["data"][0]["balances"][0]["posted"] == "-1.00"
    assert changed.status_code == 422 and changed.json()["field"] == "account_id"


def test_currencies_are_listed_and_configured_by_an_admin(client: TestClient, keys: Keys) -> None:
    added = client.put("/v1/currencies/JPY", json={}, headers=keys.admin)
    by_writer = client.put("/v1/currencies/GBP", json={}, headers=keys.write)
    listed = client.get("/v1/currencies", headers=keys.read).json()

    assert added.json() == {"code": "JPY", "decimals": 0}
    assert by_writer.status_code == 403
    assert {c["code"]: c["decimals"] for c in listed} == {"CNY": 2, "EUR": 2, "JPY": 0, "USD": 3}


def test_an_admin_key_scoped_to_an_account_cannot_configure_currencies(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    shop = create_account(client, keys.write, "shop")
    _record, secret = issue_key(ledger, keys.tenant.id, "shop admin", Role.ADMIN, UUID(shop))

    refused = client.put("/v1/currencies/USD", json={"decimals": 2}, headers=bearer(secret))

    assert refused.status_code == 403 and refused.json()["field"] == "authorization"
    listed = client.get("/v1/currencies", headers=keys.read).json()
    assert {c["code"]: c["decimals"] for c in listed}["USD"] == 3


def test_an_oversized_body_is_refused_with_413(client: TestClient, keys: Keys) -> None:
    answer = client.post(
        "/v1/accounts",
        content=b'{"external_id": "a", "name": "' + b"x" * 3_000_000 + b'"}',
        headers={**keys.write, "Content-Type": "application/json"},
    )

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "payload_too_large"


def test_an_oversized_body_without_a_length_is_refused_with_413(
    client: TestClient, keys: Keys
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"external_id": "a", "name": "'
        for _ in range(300):
            yield b"x" * 10_000
        yield b'"}'

    answer = client.post(
        "/v1/accounts", content=chunks(), headers={**keys.write, "Content-Type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"


def test_listing_the_sub_accounts_of_an_unknown_parent_is_404(
    client: TestClient, keys: Keys
) -> None:
    answer = client.get(
        "/v1/accounts",
        params={"parent_id": "0190a000-0000-7000-8000-000000000000"},
        headers=keys.read,
    )

    assert answer.status_code == 404
    assert (answer.json()["code"], answer.json()["field"]) == ("account_not_found", "parent_id")
