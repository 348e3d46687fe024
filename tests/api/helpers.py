"""Calls the API tests make again and again, named for what they do."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def create_account(
    client: TestClient, headers: dict[str, str], external_id: str, **fields: Any
) -> str:
    answer = client.post(
        "/v1/accounts",
        json={"external_id": external_id, "name": external_id, **fields},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    account_id: str = answer.json()["id"]
    return account_id


def top_up_body(account_id: str, amount: str = "10.00") -> dict[str, Any]:
    """The body of a CNY top-up from @world."""
    return {
        "debit_account_id": "@world",
        "credit_account_id": account_id,
        "amount": amount,
        "currency": "CNY",
        "type": "topup",
    }


def transfer(
    client: TestClient,
    headers: dict[str, str],
    debit: str,
    credit: str,
    amount: str,
    *,
    currency: str = "CNY",
    type: str = "topup",
    expect: int = 201,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "currency": currency,
        "type": type,
        **fields,
    }
    answer = client.post("/v1/transfers", json=body, headers=headers)
    assert answer.status_code == expect, answer.text
    result: dict[str, Any] = answer.json()
    return result


def available(
    client: TestClient, headers: dict[str, str], account_id: str, currency: str = "CNY"
) -> str:
    account = client.get(f"/v1/accounts/{account_id}", headers=headers).json()
    for balance in account["balances"]:
        if balance["currency"] == currency:
            value: str = balance["available"]
            return value
    return "0"
