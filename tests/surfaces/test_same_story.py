"""One set of data read through all four surfaces tells one story: the same rows, amounts and
balances after, each in its surface's own shape.

Every surface's reading is brought back to (entry id, account number, signed amount, balance
after, transfer type) and compared with the native API's history of the same accounts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tallybook.model import TransferType
from tallybook.surfaces.certcentral.mapping import CREDIT, DEBIT_TRANSACTION_TYPES
from tallybook.surfaces.directmail.mapping import TRANSFER_TYPES
from tests.surfaces.story import Story

Row = tuple[int, int, Decimal, Decimal, TransferType]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def native(client: TestClient, story: Story) -> list[Row]:
    """The agent's tree from /v1, with each account's number read from /v1/accounts."""
    numbers = {
        str(account): client.get(f"/v1/accounts/{account}", headers=bearer(story.admin_key)).json()[
            "number"
        ]
        for account in (story.agent, story.sub_agent)
    }
    entries = client.get(
        "/v1/entries",
        params={"account_id": str(story.agent), "include_sub_accounts": "true"},
        headers=bearer(story.admin_key),
    ).json()["data"]
    rows = [
        (
            entry["id"],
            numbers[entry["account_id"]],
            Decimal(entry["amount"]),
            Decimal(entry["balance_after"]),
            TransferType(entry["type"]),
        )
        for entry in entries
    ]
    return rows


def directmail(client: TestClient, story: Story) -> list[Row]:
    listed = client.get(
        "/user/scoreLogList", params={"pageSize": 1000}, headers={"x-token": story.agent_key}
    ).json()["data"]["list"]
    return [
        (
            row["id"],
            row["agent_id"],
            Decimal(row["price"]),
            Decimal(row["after_balance"]),
            TRANSFER_TYPES[row["type"]],
        )
        for row in listed
    ]


def certcentral(
    client: TestClient, story: Story, native_types: dict[int, TransferType]
) -> list[Row]:
    """Both containers' adjustments. A credit says only `Credit`, so its type is checked
    against the native row's; a debit names its type."""
    rows: list[Row] = []
    for container in (1, 2):
        adjustments = client.get(
            "/services/v2/finance/balance-history",
            params={"container_id": container},
            headers={"X-DC-DEVKEY": story.agent_key},
        ).json()["adjustments"]
        for row in adjustments:
            entry_id = int(row["id"])
            kind = native_types[entry_id]
            expected_type = CREDIT if "credit" in row else DEBIT_TRANSACTION_TYPES[kind]
            assert row["transaction_type"] == expected_type
            amount = Decimal(row["credit"]) if "credit" in row else -Decimal(row["debit"])
            rows.append(
                (entry_id, row["container"]["id"], amount, Decimal(row["balance_after"]), kind)
            )
    return sorted(rows, reverse=True)


def drf_balances(client: TestClient, story: Story) -> dict[int, Decimal]:
    results: list[dict[str, Any]] = client.get(
        "/api/balance/wallet/", params={"currency": "USD"}, headers=bearer(story.agent_key)
    ).json()["results"]
    return {wallet["id"]: Decimal(wallet["balance"]) for wallet in results}


def test_every_surface_tells_the_agents_story_alike(client: TestClient, story: Story) -> None:
    rows = native(client, story)
    native_types = {row[0]: row[4] for row in rows}

    assert len(rows) == 12
    assert directmail(client, story) == rows
    assert certcentral(client, story, native_types) == rows


def test_the_wallet_balance_is_the_last_balance_after_less_holds(
    client: TestClient, story: Story
) -> None:
    rows = native(client, story)
    last_after = {number: after for _id, number, _amount, after, _kind in reversed(rows)}
    held = {1: Decimal("30.000"), 2: Decimal(0)}  # the agent's payout still pending

    assert drf_balances(client, story) == {
        number: last_after[number] - held[number] for number in (1, 2)
    }
