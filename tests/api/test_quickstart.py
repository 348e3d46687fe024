"""The README's first calls: create an account, top it up from `@world`, pay, read history."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Keys


def test_create_top_up_pay_and_read_the_history(client: TestClient, keys: Keys) -> None:
    created = client.post(
        "/v1/accounts", json={"external_id": "user-42", "name": "Alice"}, headers=keys.write
    )
    assert created.status_code == 201, created.text
    alice = created.json()["id"]

    topped = client.post(
        "/v1/transfers",
        json={
            "debit_account_id": "@world",
            "credit_account_id": alice,
            "amount": "100.00",
            "currency": "CNY",
            "type": "topup",
            "channel": "alipay",
        },
        headers=keys.write,
    )
    assert topped.status_code == 201, topped.text
    paid = client.post(
        "/v1/transfers",
        json={
            "debit_account_id": alice,
            "credit_account_id": "@revenue",
            "amount": "30.50",
            "currency": "CNY",
            "type": "order_payment",
            "order_number": "ORD-1",
        },
        headers=keys.write,
    )
    assert paid.status_code == 201, paid.text

    account = client.get(f"/v1/accounts/{alice}", headers=keys.read).json()
    assert account["balances"] == [
        {
            "currency": "CNY",
            "posted": "69.50",
            "held": "0.00",
            "available": "69.50",
            "credit_limit": "0.00",
        }
    ]
    history = client.get("/v1/entries", params={"account_id": alice}, headers=keys.read).json()
    assert [(e["amount"], e["balance_before"], e["balance_after"]) for e in history["data"]] == [
        ("-30.50", "100.00", "69.50"),
        ("100.00", "0.00", "100.00"),
    ]
    assert history["data"][0]["order_number"] == "ORD-1"
    assert history["has_more"] is False and history["next_cursor"] is None
