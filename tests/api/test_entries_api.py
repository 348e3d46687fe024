"""The balance history over HTTP: filters, sub-accounts, order and cursors."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from fastapi.testclient import TestClient

from tallybook.api.entries import EntryPage
from tallybook.api.schemas import EntryOut
from tallybook.ledger import Ledger
from tests.api.conftest import Keys, tenant_with_keys
from tests.api.helpers import create_account, transfer
from tests.support import ManualClock


def amounts(client: TestClient, keys: Keys, **params: object) -> list[str]:
    answer = client.get("/v1/entries", params=params, headers=keys.read)
    assert answer.status_code == 200, answer.text
    return [entry["amount"] for entry in answer.json()["data"]]


def test_history_filters_by_type_order_country_tag_and_currency(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "100.00", channel="wechat")
    transfer(client, keys.write, "@world", alice, "7.000", currency="USD")
    transfer(
        client,
        keys.write,
        alice,
        "@revenue",
        "12.00",
        type="order_payment",
        order_number="ORD-7",
        country_code="CN",
        tags=["books"],
        note="two books",
        operator="shop",
    )
    transfer(client, keys.write, alice, "@revenue", "3.00", type="order_payment", country_code="DE")

    assert amounts(client, keys, account_id=alice, type="topup") == ["7.000", "100.00"]
    assert amounts(client, keys, account_id=alice, order_number="ORD-7") == ["-12.00"]
    assert amounts(client, keys, account_id=alice, country_code="DE") == ["-3.00"]
    assert amounts(client, keys, account_id=alice, tag="books") == ["-12.00"]
    assert amounts(client, keys, account_id=alice, currency="USD") == ["7.000"]
    line = client.get(
        "/v1/entries", params={"account_id": alice, "tag": "books"}, headers=keys.read
    ).json()["data"][0]
    assert (line["note"], line["operator"], line["type"]) == ("two books", "shop", "order_payment")
    assert (line["balance_before"], line["balance_after"]) == ("100.00", "88.00")


def test_history_filters_by_amount_range_in_a_currency(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    for amount in ("1.00", "5.00", "10.00", "50.00"):
        transfer(client, keys.write, "@world", alice, amount)

    in_range = amounts(
        client, keys, account_id=alice, currency="CNY", amount_min="5", amount_max="10.00"
    )
    no_currency = client.get("/v1/entries", params={"amount_min": "5"}, headers=keys.read)
    too_precise = client.get(
        "/v1/entries", params={"amount_min": "5.001", "currency": "CNY"}, headers=keys.read
    )

    assert in_range == ["10.00", "5.00"]
    assert no_currency.status_code == 422 and no_currency.json()["field"] == "currency"
    assert too_precise.status_code == 422 and too_precise.json()["field"] == "amount_min"


def test_history_filters_by_time_range(client: TestClient, keys: Keys, clock: ManualClock) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")
    clock.advance(3600)
    middle = clock.now().isoformat()
    transfer(client, keys.write, "@world", alice, "2.00")
    clock.advance(3600)
    transfer(client, keys.write, "@world", alice, "3.00")
    end = clock.now().isoformat()

    assert amounts(client, keys, account_id=alice, created_from=middle, created_to=end) == ["2.00"]


def test_a_parent_history_includes_its_sub_accounts_on_request(
    client: TestClient, keys: Keys
) -> None:
    parent = create_account(client, keys.write, "agency")
    child = create_account(client, keys.write, "agency-team", parent_id=parent)
    transfer(client, keys.write, "@world", parent, "20.00")
    transfer(client, keys.write, parent, child, "8.00", type="allocation")

    own = amounts(client, keys, account_id=parent)
    with_children = amounts(client, keys, account_id=parent, include_sub_accounts=True)
    account = client.get(f"/v1/accounts/{parent}", headers=keys.read).json()

    assert own == ["-8.00", "20.00"]
    assert with_children == ["8.00", "-8.00", "20.00"]
    assert account["balances"][0]["posted"] == "12.00"
    assert account["balances_including_sub_accounts"][0]["posted"] == "20.00"


def test_history_pages_oldest_first_cover_every_entry_once(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    for cents in range(1, 12):
        transfer(client, keys.write, "@world", alice, f"0.{cents:02d}")

    seen: list[int] = []
    cursor = None
    while True:
        params = {"account_id": alice, "limit": 4, "order": "oldest_first"}
        page = client.get(
            "/v1/entries",
            params={**params, **({"cursor": cursor} if cursor else {})},
            headers=keys.read,
        ).json()
        seen.extend(entry["sequence"] for entry in page["data"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break

    assert seen == list(range(1, 12))


def test_a_cursor_is_only_good_in_its_own_tenant_and_a_page_past_the_matches_is_empty(
    client: TestClient, ledger: Ledger, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "1.00")
    transfer(client, keys.write, "@world", alice, "2.00")
    first = client.get("/v1/entries", params={"account_id": alice, "limit": 1}, headers=keys.read)
    cursor = first.json()["next_cursor"]
    other = tenant_with_keys(ledger, "Platform B")

    nothing_more = client.get(
        "/v1/entries",
        params={"account_id": alice, "currency": "EUR", "cursor": cursor},
        headers=keys.read,
    )
    foreign = client.get("/v1/entries", params={"cursor": cursor}, headers=other.read)

    assert nothing_more.status_code == 200, nothing_more.text
    assert nothing_more.json()["data"] == []
    assert foreign.status_code == 422 and foreign.json()["field"] == "cursor"


def test_a_cursor_carries_its_entry_and_time_and_one_with_the_id_alone_still_reads(
    client: TestClient, keys: Keys
) -> None:
    """Cursors given out before they carried the entry's time (`{"k": "<id>"}`) go on
    working: the time is looked up."""
    alice = create_account(client, keys.write, "alice")
    for amount in ("1.00", "2.00", "3.00"):
        transfer(client, keys.write, "@world", alice, amount)
    params = {"account_id": alice, "limit": 1}
    first = client.get("/v1/entries", params=params, headers=keys.read).json()
    payload = json.loads(base64.urlsafe_b64decode(first["next_cursor"] + "=="))
    entry_id, _, moment = payload["k"].partition("@")
    old_style = encoded({"k": entry_id, "o": "newest_first"})

    by_time = client.get("/v1/entries", params={**params, "cursor": first["next_cursor"]},
                         headers=keys.read)  # fmt: skip
    by_id = client.get("/v1/entries", params={**params, "cursor": old_style}, headers=keys.read)

    assert int(entry_id) == first["data"][0]["id"]
    assert datetime.fromisoformat(moment) == datetime.fromisoformat(first["data"][0]["created_at"])
    assert by_time.status_code == by_id.status_code == 200
    assert by_time.json() == by_id.json()
    assert [entry["amount"] for entry in by_time.json()["data"]] == ["2.00"]


def test_a_cursor_with_a_time_without_zone_or_unreadable_is_refused(
    client: TestClient, keys: Keys
) -> None:
    for key in ("7@2026-01-15T09:30:00", "7@yesterday", "seven@2026-01-15T09:30:00+00:00"):
        cursor = encoded({"k": key, "o": "newest_first"})
        answer = client.get("/v1/entries", params={"cursor": cursor}, headers=keys.read)

        assert answer.status_code == 422, (key, answer.text)
        assert answer.json()["field"] == "cursor"


def encoded(payload: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_page_size_is_limited_to_1000(client: TestClient, keys: Keys) -> None:
    answer = client.get("/v1/entries", params={"limit": 1001}, headers=keys.read)

    assert answer.status_code == 422 and answer.json()["field"] == "limit"


def test_a_time_bound_is_an_iso_8601_timestamp_with_an_offset(
    client: TestClient, keys: Keys
) -> None:
    for bound in ("2026-01-15T09:30:00", "1768469400", "0001-01-01T00:00:00+14:00", "2026-13-01"):
        for path in ("/v1/entries", "/v1/transfers"):
            answer = client.get(path, params={"created_from": bound}, headers=keys.read)

            assert answer.status_code == 422, (path, bound, answer.text)
            assert answer.json()["field"] == "created_from"
    offset = client.get(
        "/v1/entries", params={"created_to": "2026-01-15T17:30:00+08:00"}, headers=keys.read
    )
    assert offset.status_code == 200


def test_the_history_of_an_unknown_account_is_404(
    client: TestClient, ledger: Ledger, keys: Keys
) -> None:
    nobody = "0190a000-0000-7000-8000-000000000000"
    other = tenant_with_keys(ledger, "Platform B")
    theirs = create_account(client, other.write, "theirs")  # with a history, in their tenant
    transfer(client, other.write, "@world", theirs, "5.00")

    for account_id in (nobody, theirs):
        for path, extra in (("/v1/entries", {}), ("/v1/entries", {"format": "csv"}),
                            ("/v1/transfers", {})):  # fmt: skip
            answer = client.get(path, params={"account_id": account_id} | extra, headers=keys.read)

            assert answer.status_code == 404, (path, extra, answer.text)
            assert (answer.json()["code"], answer.json()["field"]) == (
                "account_not_found",
                "account_id",
            )


def test_a_misspelt_filter_is_refused_rather_than_ignored(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "100.00")

    misspelt = client.get("/v1/entries", params={"tpye": "topup"}, headers=keys.read)
    spelt = client.get("/v1/entries", params={"type": "topup"}, headers=keys.read)

    assert misspelt.status_code == 422
    assert misspelt.json()["field"] == "tpye"
    assert spelt.status_code == 200 and len(spelt.json()["data"]) == 2


def test_a_page_is_exactly_what_its_documented_model_says(client: TestClient, keys: Keys) -> None:
    """Pages are written straight from the entries' records: they must read as `EntryPage`,
    field for field, with nothing missing or added and every value in the model's format."""
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "100.00", tags=["first"])
    transfer(client, keys.write, alice, "@revenue", "2.50", type="order_payment", note="tea")
    answer = client.get(
        "/v1/entries",
        params={"account_id": alice, "limit": 1, "include_total": True},
        headers=keys.read,
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    page = answer.json()
    modelled = EntryPage.model_validate(page).model_dump(mode="json")
    assert page == modelled
    assert list(page["data"][0]) == list(EntryOut.model_fields)
    assert (page["has_more"], page["total"], page["data"][0]["note"]) == (True, 2, "tea")
