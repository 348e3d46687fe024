"""`GET /v1/reports/summary` over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.api.helpers import create_account, transfer
from tests.support import ManualClock


def test_a_daily_summary_with_a_type_breakdown(
    client: TestClient, keys: Keys, clock: ManualClock
) -> None:
    clock.current = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "100.00")
    clock.advance(24 * 3600)
    transfer(client, keys.write, alice, "@revenue", "30.50", type="order_payment")

    answer = client.get(
        "/v1/reports/summary",
        params={"account_id": alice, "from": "2026-01-09", "to": "2026-01-11", "period": "day",
                "by_type": True},
        headers=keys.read,
    )  # fmt: skip

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["time_zone"] == "UTC"
    assert [
        (r["period"], r["opening"], r["credits"], r["debits"], r["net"], r["closing"], r["count"])
        for r in body["rows"]
    ] == [
        ("2026-01-09", "0.00", "0.00", "0.00", "0.00", "0.00", 0),
        ("2026-01-10", "0.00", "100.00", "0.00", "100.00", "100.00", 1),
        ("2026-01-11", "100.00", "0.00", "30.50", "-30.50", "69.50", 1),
    ]
    assert body["rows"][2]["by_type"] == [
        {"type": "order_payment", "credits": "0.00", "debits": "30.50", "net": "-30.50",
         "count": 1}
    ]  # fmt: skip


def test_the_whole_tenant_summary_covers_customer_accounts(
    client: TestClient, keys: Keys, clock: ManualClock
) -> None:
    clock.current = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    alice = create_account(client, keys.write, "alice")
    bob = create_account(client, keys.write, "bob")
    transfer(client, keys.write, "@world", alice, "10.00")
    transfer(client, keys.write, "@world", bob, "5.00")
    transfer(client, keys.write, alice, bob, "1.00", type="adjustment")

    row = client.get(
        "/v1/reports/summary",
        params={"from": "2026-01-01", "to": "2026-01-31", "period": "month"},
        headers=keys.read,
    ).json()["rows"][0]

    assert (row["period"], row["credits"], row["debits"], row["closing"], row["count"]) == (
        "2026-01",
        "16.00",
        "1.00",
        "15.00",
        4,
    )


def test_bad_summary_requests_name_their_field(client: TestClient, keys: Keys) -> None:
    base = {"from": "2026-01-01", "to": "2026-01-31", "period": "day"}
    cases = {
        "period": {**base, "period": "week"},
        "from": {**base, "from": "01/01/2026"},
        "to": {**base, "to": "2025-12-01"},
        "currency": {**base, "currency": "XYZ"},
    }
    for field, params in cases.items():
        answer = client.get("/v1/reports/summary", params=params, headers=keys.read)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["field"] == field
