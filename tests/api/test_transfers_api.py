"""Transfers over HTTP: posted, holds posted partly or voided, reversals, batches, errors."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.api.helpers import available, create_account, top_up_body, transfer


def test_a_hold_counts_against_available_then_posts_partly(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "100.00")

    hold = transfer(client, keys.write, alice, "@world", "60.00", type="withdrawal", pending=True)
    assert hold["status"] == "pending"
    assert available(client, keys.read, alice) == "40.00"

    posted = client.post(
        f"/v1/transfers/{hold['id']}/post", json={"amount": "25.00"}, headers=keys.write
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["amount"] == "25.00" and posted.json()["pending_id"] == hold["id"]
    assert available(client, keys.read, alice) == "75.00"
    assert client.get(f"/v1/transfers/{hold['id']}", headers=keys.read).json()["status"] == "posted"

    again = client.post(f"/v1/transfers/{hold['id']}/void", json={}, headers=keys.write)
    assert again.status_code == 409
    assert again.json()["code"] == "hold_already_resolved"


def test_voiding_a_hold_gives_the_money_back(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "10.00")
    hold = transfer(client, keys.write, alice, "@world", "10.00", type="withdrawal", pending=True)

    voided = client.post(f"/v1/transfers/{hold['id']}/void", headers=keys.write)

    assert voided.status_code == 201 and voided.json()["status"] == "voided"
    assert available(client, keys.read, alice) == "10.00"


def test_a_payment_beyond_the_balance_is_refused_naming_the_amount(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "5.00")

    refused = transfer(
        client, keys.write, alice, "@revenue", "5.01", type="order_payment", expect=409
    )

    assert refused["code"] == "insufficient_funds"
    assert available(client, keys.read, alice) == "5.00"


def test_an_amount_with_too_many_decimals_is_refused_not_rounded(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")

    cny = transfer(client, keys.write, "@world", alice, "1.005", expect=422)
    usd = transfer(client, keys.write, "@world", alice, "1.005", currency="USD")

    assert cny["code"] == "invalid_amount" and cny["field"] == "amount"
    assert usd["amount"] == "1.005"


def test_numbers_zero_and_negative_amounts_are_refused(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    for amount in (10.5, "0", "-1.00", "1e3", "abc"):
        body = {
            "debit_account_id": "@world",
            "credit_account_id": alice,
            "amount": amount,
            "currency": "CNY",
            "type": "topup",
        }
        answer = client.post("/v1/transfers", json=body, headers=keys.write)
        assert answer.status_code == 422, (amount, answer.text)
        assert answer.json()["field"] == "amount"
    assert available(client, keys.read, alice) == "0"


def test_a_frozen_account_cannot_pay_but_can_receive(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "10.00")
    frozen = client.patch(f"/v1/accounts/{alice}", json={"status": "frozen"}, headers=keys.write)
    assert frozen.json()["status"] == "frozen"

    refused = transfer(
        client, keys.write, alice, "@revenue", "1.00", type="order_payment", expect=409
    )
    transfer(client, keys.write, "@world", alice, "1.00")

    assert refused["code"] == "account_frozen"
    assert available(client, keys.read, alice) == "11.00"


def test_a_reversal_moves_the_amount_back_once(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "50.00")
    payment = transfer(client, keys.write, alice, "@revenue", "20.00", type="order_payment")

    reversal = client.post(
        f"/v1/transfers/{payment['id']}/reverse", json={"note": "refund"}, headers=keys.write
    )
    second = client.post(f"/v1/transfers/{payment['id']}/reverse", headers=keys.write)

    assert reversal.status_code == 201
    assert (
        reversal.json()["type"] == "reversal" and reversal.json()["reversal_of_id"] == payment["id"]
    )
    assert second.status_code == 409 and second.json()["code"] == "already_reversed"
    assert available(client, keys.read, alice) == "50.00"


def test_an_atomic_batch_with_one_bad_transfer_moves_nothing(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    bob = create_account(client, keys.write, "bob")
    good = top_up_body(alice, "5.00")
    bad = {**good, "debit_account_id": bob, "type": "allocation"}

    refused = client.post(
        "/v1/transfers/batch", json={"transfers": [good, bad]}, headers=keys.write
    )

    assert refused.status_code == 409
    assert refused.json()["code"] == "batch_failed"
    assert refused.json()["field"] == "transfers[1].amount"
    assert available(client, keys.read, alice) == "0"


def test_a_non_atomic_batch_applies_each_transfer_on_its_own(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    bob = create_account(client, keys.write, "bob")
    good = top_up_body(alice, "5.00")
    bad = {**good, "debit_account_id": bob, "type": "allocation"}

    answer = client.post(
        "/v1/transfers/batch",
        json={"transfers": [good, bad, good], "atomic": False},
        headers=keys.write,
    )

    assert answer.status_code == 201, answer.text
    results = answer.json()["results"]
    assert [r["error"] is None for r in results] == [True, False, True]
    assert results[1]["error"]["code"] == "insufficient_funds"
    assert available(client, keys.read, alice) == "10.00"


def test_an_atomic_batch_applies_every_transfer(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    member = top_up_body(alice, "1.00")

    answer = client.post(
        "/v1/transfers/batch", json={"transfers": [member] * 3}, headers=keys.write
    )

    assert answer.status_code == 201
    assert len(answer.json()["transfers"]) == 3
    assert available(client, keys.read, alice) == "3.00"


def test_a_batch_of_more_than_1000_is_refused(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    member = top_up_body(alice, "1.00")

    answer = client.post(
        "/v1/transfers/batch", json={"transfers": [member] * 1001}, headers=keys.write
    )

    assert answer.status_code == 422 and answer.json()["field"] == "transfers"


def test_unknown_account_and_currency_are_refused(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")

    nobody = transfer(
        client, keys.write, "@world", "0190a000-0000-7000-8000-000000000000", "1.00", expect=404
    )
    yen = transfer(client, keys.write, "@world", alice, "1", currency="JPY", expect=422)

    assert nobody["code"] == "account_not_found" and nobody["field"] == "credit_account_id"
    assert yen["code"] == "unknown_currency" and yen["field"] == "currency"


def test_an_unknown_field_is_refused_by_name(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")

    refused = transfer(client, keys.write, "@world", alice, "1.00", amout="2.00", expect=422)

    assert refused["field"] == "amout"


def test_transfers_list_by_account_type_and_pages(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    bob = create_account(client, keys.write, "bob")
    for _ in range(5):
        transfer(client, keys.write, "@world", alice, "1.00")
    transfer(client, keys.write, "@world", bob, "1.00")
    transfer(
        client, keys.write, alice, "@revenue", "1.00", type="order_payment", order_number="A-1"
    )

    seen: list[str] = []
    cursor = None
    while True:
        params = {"account_id": alice, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/transfers", params=params, headers=keys.read).json()
        seen.extend(t["id"] for t in page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    payments = client.get(
        "/v1/transfers", params={"type": "order_payment"}, headers=keys.read
    ).json()["data"]

    assert len(seen) == len(set(seen)) == 6
    assert [p["order_number"] for p in payments] == ["A-1"]


def test_a_cursor_from_the_other_order_or_made_up_is_refused(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")
    transfer(client, keys.write, "@world", alice, "1.00")
    first = client.get("/v1/transfers", params={"limit": 1}, headers=keys.read).json()

    flipped = client.get(
        "/v1/transfers",
        params={"limit": 1, "cursor": first["next_cursor"], "order": "oldest_first"},
        headers=keys.read,
    )
    made_up = client.get("/v1/transfers", params={"cursor": "nonsense!"}, headers=keys.read)

    assert flipped.status_code == 422 and flipped.json()["field"] == "cursor"
    assert made_up.status_code == 422 and made_up.json()["field"] == "cursor"


def test_flags_and_counts_are_json_booleans_and_integers(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "10.00")
    hold = {"debit_account_id": alice, "credit_account_id": "@world", "amount": "1.00"}
    hold |= {"currency": "CNY", "type": "withdrawal"}

    for field, value in (
        ("pending", 1),
        ("pending", "true"),
        ("timeout_seconds", True),
        ("timeout_seconds", 60.5),
        ("timeout_seconds", 367 * 24 * 3600),
    ):
        answer = client.post(
            "/v1/transfers", json={**hold, "pending": True, field: value}, headers=keys.write
        )
        assert answer.status_code == 422, (field, value, answer.text)
        assert answer.json()["field"] == field
    decimals = client.put("/v1/currencies/JPY", json={"decimals": False}, headers=keys.admin)

    assert decimals.status_code == 422 and decimals.json()["field"] == "decimals"
    assert available(client, keys.read, alice) == "10.00"


def test_a_refused_batch_answers_with_its_refused_transfers_status(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    good = top_up_body(alice, "5.00")
    nobody = {**good, "credit_account_id": "0190a000-0000-7000-8000-000000000000"}
    too_precise = {**good, "amount": "5.001"}

    unknown = client.post(
        "/v1/transfers/batch", json={"transfers": [good, nobody]}, headers=keys.write
    )
    malformed = client.post(
        "/v1/transfers/batch", json={"transfers": [too_precise, good]}, headers=keys.write
    )

    assert (unknown.status_code, unknown.json()["code"]) == (404, "batch_failed")
    assert unknown.json()["field"] == "transfers[1].credit_account_id"
    assert (malformed.status_code, malformed.json()["code"]) == (422, "batch_failed")
    assert malformed.json()["field"] == "transfers[0].amount"
    assert available(client, keys.read, alice) == "0"


def test_metadata_with_numbers_past_64_bits_comes_back_unchanged(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    metadata = {"order": 123456789012345678901234567890, "nested": [-(2**70), 2**63]}

    posted = transfer(client, keys.write, "@world", alice, "1.00", metadata=metadata)

    assert posted["metadata"] == metadata
    read = client.get(f"/v1/transfers/{posted['id']}", headers=keys.read).json()
    assert read["metadata"] == metadata
