"""Exporting the history over HTTP: CSV and JSON Lines, chosen by `format` or `Accept`, with
the list's filters; exact totals."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tallybook.ledger import Ledger
from tests.api.conftest import Keys
from tests.api.helpers import create_account, transfer
from tests.support import ManualClock


def some_history(client: TestClient, keys: Keys) -> tuple[str, str]:
    alice = create_account(client, keys.write, "alice")
    bob = create_account(client, keys.write, "bob")
    for cents in range(1, 8):
        transfer(client, keys.write, "@world", alice, f"1.{cents:02d}", note='say "hi", ok')
    transfer(client, keys.write, "@world", bob, "2.000", currency="USD", tags=["vip", "eu"])
    transfer(client, keys.write, alice, "@revenue", "1.00", type="order_payment",
             order_number="ORD-1")  # fmt: skip
    return alice, bob


def listed_ids(client: TestClient, keys: Keys, **params: object) -> list[int]:
    page = client.get("/v1/entries", params={**params, "limit": 1000}, headers=keys.read).json()
    return [entry["id"] for entry in page["data"]]


def test_csv_and_json_lines_carry_what_the_list_shows(client: TestClient, keys: Keys) -> None:
    some_history(client, keys)

    as_csv = client.get("/v1/entries", params={"format": "csv"}, headers=keys.read)
    as_jsonl = client.get("/v1/entries", headers={**keys.read, "Accept": "application/x-ndjson"})
    page = client.get("/v1/entries", params={"limit": 1000}, headers=keys.read).json()["data"]

    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    records = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert as_jsonl.headers["content-type"] == "application/x-ndjson"
    assert [r["id"] for r in records] == [e["id"] for e in page]  # newest first, like the list
    assert records == page
    assert [int(r["id"]) for r in rows] == [e["id"] for e in page]
    assert [(r["account_id"], r["created_at"]) for r in rows] == [
        (e["account_id"], e["created_at"]) for e in page
    ]
    usd = next(r for r in rows if r["currency"] == "USD")
    assert (usd["amount"], usd["tags"]) == ("2.000", "vip;eu")
    assert next(r for r in rows if r["note"])["note"] == 'say "hi", ok'


def test_an_export_applies_the_list_filters_and_order(client: TestClient, keys: Keys) -> None:
    alice, _bob = some_history(client, keys)
    filters = {
        "account_id": alice,
        "currency": "CNY",
        "amount_min": "1.03",
        "order": "oldest_first",
    }

    exported = client.get("/v1/entries", params={**filters, "format": "jsonl"}, headers=keys.read)

    assert [json.loads(line)["id"] for line in exported.text.splitlines()] == listed_ids(
        client, keys, **filters
    )
    assert len(exported.text.splitlines()) == 5  # 1.03 to 1.07; the 1.00 payment is below


def test_a_bad_export_filter_is_refused_before_anything_streams(
    client: TestClient, keys: Keys
) -> None:
    answer = client.get(
        "/v1/entries", params={"format": "csv", "amount_min": "1.001", "currency": "CNY"},
        headers=keys.read,
    )  # fmt: skip
    pdf = client.get("/v1/entries", params={"format": "pdf"}, headers=keys.read)

    assert answer.status_code == 422 and answer.json()["field"] == "amount_min"
    assert pdf.status_code == 422 and pdf.json()["field"] == "format"


def test_totals_are_exact_with_and_without_counting_rows(client: TestClient, keys: Keys) -> None:
    alice, bob = some_history(client, keys)
    cases: list[dict[str, object]] = [
        {},
        {"account_id": alice},
        {"account_id": alice, "currency": "CNY"},
        {"currency": "USD"},
        {"type": "order_payment"},
        {"account_id": bob, "tag": "vip"},
        {"account_id": alice, "amount_min": "1.05", "currency": "CNY"},
    ]
    for params in cases:
        page = client.get(
            "/v1/entries", params={**params, "include_total": True}, headers=keys.read
        ).json()
        assert page["total"] == len(listed_ids(client, keys, **params)), params


def test_the_archived_filter_lists_only_the_older_history(
    client: TestClient, keys: Keys, ledger: Ledger, clock: ManualClock
) -> None:
    clock.current = datetime(2025, 3, 5, tzinfo=UTC)
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")
    clock.current = datetime(2026, 3, 5, tzinfo=UTC)
    transfer(client, keys.write, "@world", alice, "2.00")
    ledger.archive(keys.tenant.id, older_than_months=6)

    def amounts(**params: object) -> list[str]:
        page = client.get("/v1/entries", params={"account_id": alice, **params}, headers=keys.read)
        return [entry["amount"] for entry in page.json()["data"]]

    exported = client.get(
        "/v1/entries", params={"account_id": alice, "archived": "archived", "format": "jsonl"},
        headers=keys.read,
    )  # fmt: skip

    assert amounts() == ["2.00", "1.00"]
    assert amounts(archived="archived") == ["1.00"]
    assert amounts(archived="live") == ["2.00"]
    assert [json.loads(line)["amount"] for line in exported.text.splitlines()] == ["1.00"]
    assert (
        client.get("/v1/entries", params={"archived": "old"}, headers=keys.read).json()["field"]
        == "archived"
    )
