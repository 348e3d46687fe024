"""`/v1/orders`: a charge from the balance and refunds up to what was charged."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.model import Role
from tests.api.conftest import Keys, bearer
from tests.api.helpers import available, create_account, transfer


@pytest.fixture
def alice(client: TestClient, keys: Keys) -> str:
    account = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", account, "100.00")
    return account


def charge(
    client: TestClient, headers: dict[str, str], account: str, number: str, amount: str = "30.00"
) -> Any:
    return client.post(
        "/v1/orders",
        json={
            "account_id": account,
            "order_number": number,
            "title": "Concert ticket",
            "image_url": "https://shop.example/ticket.png",
            "amount": amount,
            "currency": "CNY",
            "country_code": "CN",
            "tags": ["tickets"],
        },
        headers=headers,
    )


def refund(client: TestClient, order: dict[str, Any], **body: Any) -> Any:
    return client.post(f"/v1/orders/{order['id']}/refunds", json=body, headers=order["_headers"])


def test_charge_then_refund_in_parts(client: TestClient, keys: Keys, alice: str) -> None:
    answer = charge(client, keys.write, alice, "ORD-1")
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert (order["status"], order["refundable"], order["refunds"]) == ("paid", "30.00", [])

    path = f"/v1/orders/{order['id']}/refunds"
    part = client.post(path, json={"amount": "10.00", "reason": "late"}, headers=keys.write)
    rest = client.post(path, headers=keys.write)
    more = client.post(path, json={"amount": "0.01"}, headers=keys.write)

    assert part.status_code == 201
    assert part.json()["status"] == "partially_refunded"
    assert (rest.json()["status"], rest.json()["refunded"]) == ("refunded", "30.00")
    assert [r["amount"] for r in rest.json()["refunds"]] == ["10.00", "20.00"]
    assert (more.status_code, more.json()["current_state"]) == (409, "refunded")
    assert available(client, keys.read, alice) == "100.00"
    shown = client.get(f"/v1/orders/{order['id']}", headers=keys.read).json()
    assert shown == rest.json()


def test_a_refund_beyond_the_charge_is_refused(client: TestClient, keys: Keys, alice: str) -> None:
    order = charge(client, keys.write, alice, "ORD-1").json()

    answer = client.post(
        f"/v1/orders/{order['id']}/refunds", json={"amount": "30.01"}, headers=keys.write
    )

    assert answer.status_code == 409
    assert (answer.json()["code"], answer.json()["field"]) == ("refund_exceeds_charge", "amount")


def test_an_order_number_is_used_once(client: TestClient, keys: Keys, alice: str) -> None:
    charge(client, keys.write, alice, "ORD-1")

    again = charge(client, keys.write, alice, "ORD-1", "1.00")
    broke = charge(client, keys.write, alice, "ORD-2", "70.01")

    assert (again.status_code, again.json()["code"]) == (409, "duplicate_order_number")
    assert (broke.status_code, broke.json()["code"]) == (409, "insufficient_funds")


def test_a_scoped_key_charges_its_orders_but_cannot_refund(
    client: TestClient, keys: Keys, ledger: Ledger, alice: str
) -> None:
    scoped = bearer(issue_key(ledger, keys.tenant.id, "alice", Role.WRITE, UUID(alice))[1])
    order = charge(client, scoped, alice, "ORD-1").json()

    answer = client.post(f"/v1/orders/{order['id']}/refunds", headers=scoped)

    assert answer.status_code == 403
    bob = create_account(client, keys.write, "bob")
    assert charge(client, scoped, bob, "ORD-2").status_code == 404


def test_the_list_filters_by_country_tag_and_status(
    client: TestClient, keys: Keys, alice: str
) -> None:
    first = charge(client, keys.write, alice, "ORD-1", "10.00").json()
    client.post(f"/v1/orders/{first['id']}/refunds", headers=keys.write)
    second = client.post(
        "/v1/orders",
        json={
            "account_id": alice,
            "order_number": "ORD-2",
            "title": "Usage",
            "amount": "1.00",
            "currency": "CNY",
            "country_code": "SG",
            "tags": ["usage"],
        },
        headers=keys.write,
    ).json()

    def listed(query: str) -> list[str]:
        data = client.get(f"/v1/orders?{query}", headers=keys.read).json()["data"]
        return [o["id"] for o in data]

    assert listed("") == [second["id"], first["id"]]
    assert listed("country_code=SG") == [second["id"]]
    assert listed("tag=tickets") == [first["id"]]
    assert listed("status=refunded") == [first["id"]]
    assert listed("order_number=ORD-2") == [second["id"]]
