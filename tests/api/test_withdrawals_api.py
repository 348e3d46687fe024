"""`/v1/withdrawals`: request, edit, cancel by the owner; approve, reject, pay, fail by an
admin; illegal transitions are 409 naming the state."""

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

ALIPAY = {"alipay": "alice@example.com", "full_name": "Alice Chen"}


@pytest.fixture
def alice(client: TestClient, keys: Keys) -> str:
    account = create_account(client, keys.write, "alice", payout_profile=ALIPAY)
    transfer(client, keys.write, "@world", account, "100.00")
    return account


def request(
    client: TestClient, headers: dict[str, str], account: str, amount: str = "30.00"
) -> dict[str, Any]:
    answer = client.post(
        "/v1/withdrawals",
        json={"account_id": account, "amount": amount, "currency": "CNY", "channel": "alipay"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    withdrawal: dict[str, Any] = answer.json()
    return withdrawal


def act(
    client: TestClient,
    headers: dict[str, str],
    withdrawal: dict[str, Any],
    action: str,
    **body: Any,
) -> Any:
    return client.post(f"/v1/withdrawals/{withdrawal['id']}/{action}", json=body, headers=headers)


def test_the_whole_review_ending_in_a_payout(client: TestClient, keys: Keys, alice: str) -> None:
    withdrawal = request(client, keys.write, alice)
    assert (withdrawal["status"], withdrawal["destination"]) == ("pending", ALIPAY)
    assert available(client, keys.read, alice) == "70.00"

    edited = client.patch(
        f"/v1/withdrawals/{withdrawal['id']}", json={"amount": "40.00"}, headers=keys.write
    )
    assert edited.status_code == 200, edited.text
    assert available(client, keys.read, alice) == "60.00"

    approved = act(client, keys.admin, withdrawal, "approve", operator="finance")
    paid = act(client, keys.admin, withdrawal, "pay", payout_reference="ALIPAY-77")

    assert approved.json()["status"] == "approved"
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["payout_reference"]) == ("paid", "ALIPAY-77")
    account = client.get(f"/v1/accounts/{alice}", headers=keys.read).json()
    assert account["balances"][0] | {} == {
        "currency": "CNY",
        "posted": "60.00",
        "held": "0.00",
        "available": "60.00",
        "credit_limit": "0.00",
    }


def test_decisions_need_an_admin_key(client: TestClient, keys: Keys, alice: str) -> None:
    withdrawal = request(client, keys.write, alice)

    for action, body in (
        ("approve", {}),
        ("reject", {"reason": "x"}),
        ("pay", {"payout_reference": "x"}),
        ("fail", {"reason": "x"}),
    ):
        assert act(client, keys.write, withdrawal, action, **body).status_code == 403


def test_an_illegal_transition_is_409_naming_the_current_state(
    client: TestClient, keys: Keys, alice: str
) -> None:
    withdrawal = request(client, keys.write, alice)
    act(client, keys.write, withdrawal, "cancel")

    paid = act(client, keys.admin, withdrawal, "pay", payout_reference="x")
    edited = client.patch(
        f"/v1/withdrawals/{withdrawal['id']}", json={"amount": "1"}, headers=keys.write
    )

    for answer in (paid, edited):
        assert answer.status_code == 409
        problem = answer.json()
        assert (problem["code"], problem["current_state"]) == ("invalid_state", "cancelled")
        assert "cancelled" in problem["detail"]


def test_a_rejection_needs_a_reason(client: TestClient, keys: Keys, alice: str) -> None:
    withdrawal = request(client, keys.write, alice)

    answer = act(client, keys.admin, withdrawal, "reject", operator="finance")

    assert answer.status_code == 422
    assert answer.json()["field"] == "reason"


def test_fees_and_limits_come_from_the_settings(client: TestClient, keys: Keys, alice: str) -> None:
    changed = client.patch(
        "/v1/wallet/settings",
        json={
            "withdrawal_fee_percent": "1",
            "withdrawal_rules": {
                "CNY": {"fee_fixed": "2.00", "minimum": "10.00", "daily_maximum": "50.00"}
            },
        },
        headers=keys.admin,
    )
    assert changed.status_code == 200, changed.text

    withdrawal = request(client, keys.write, alice, "30.00")
    too_small = client.post(
        "/v1/withdrawals",
        json={"account_id": alice, "amount": "9.99", "currency": "CNY"},
        headers=keys.write,
    )
    too_much = client.post(
        "/v1/withdrawals",
        json={"account_id": alice, "amount": "20.01", "currency": "CNY"},
        headers=keys.write,
    )

    assert (withdrawal["fee"], withdrawal["payout"]) == ("2.30", "27.70")
    assert (too_small.status_code, too_small.json()["code"]) == (422, "below_minimum")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "daily_limit_exceeded")


def test_the_owner_may_act_through_a_scoped_key(
    client: TestClient, keys: Keys, ledger: Ledger, alice: str
) -> None:
    bob = create_account(client, keys.write, "bob", payout_profile=ALIPAY)
    transfer(client, keys.write, "@world", bob, "10.00")
    scoped = bearer(issue_key(ledger, keys.tenant.id, "alice", Role.WRITE, UUID(alice))[1])
    mine = request(client, scoped, alice)
    theirs = request(client, keys.write, bob, "5.00")

    assert act(client, scoped, mine, "cancel").json()["status"] == "cancelled"
    assert act(client, scoped, theirs, "cancel").status_code == 404
    assert client.get(f"/v1/withdrawals/{theirs['id']}", headers=scoped).status_code == 404
    listed = client.get("/v1/withdrawals", headers=scoped).json()["data"]
    assert [w["id"] for w in listed] == [mine["id"]]


def test_a_retried_request_is_held_once(client: TestClient, keys: Keys, alice: str) -> None:
    body = {"account_id": alice, "amount": "30.00", "currency": "CNY"}
    headers = keys.write | {"Idempotency-Key": "payout-1"}

    first = client.post("/v1/withdrawals", json=body, headers=headers)
    again = client.post("/v1/withdrawals", json=body, headers=headers)

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert available(client, keys.read, alice) == "70.00"


def test_the_list_filters_by_status(client: TestClient, keys: Keys, alice: str) -> None:
    first = request(client, keys.write, alice, "10.00")
    second = request(client, keys.write, alice, "10.00")
    act(client, keys.admin, second, "approve")

    pending = client.get("/v1/withdrawals?status=pending", headers=keys.read).json()["data"]
    approved = client.get(f"/v1/withdrawals?account_id={alice}&status=approved", headers=keys.read)

    assert [w["id"] for w in pending] == [first["id"]]
    assert [w["id"] for w in approved.json()["data"]] == [second["id"]]
