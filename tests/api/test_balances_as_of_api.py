"""`GET /v1/accounts/{id}/balances?as_of=…` over HTTP."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tallybook.ledger import Ledger
from tests.api.conftest import Keys, tenant_with_keys
from tests.api.helpers import create_account, transfer
from tests.support import ManualClock


def test_past_balances_of_an_account_and_its_tree(
    client: TestClient, keys: Keys, clock: ManualClock
) -> None:
    parent = create_account(client, keys.write, "agency")
    child = create_account(client, keys.write, "agency-team", parent_id=parent)
    transfer(client, keys.write, "@world", parent, "20.00")
    transfer(client, keys.write, "@world", parent, "1.000", currency="USD")
    moment = clock.now()
    clock.advance(60)
    transfer(client, keys.write, parent, child, "8.00", type="allocation")

    own = client.get(
        f"/v1/accounts/{parent}/balances", params={"as_of": moment.isoformat()}, headers=keys.read
    )
    tree_later = client.get(
        f"/v1/accounts/{parent}/balances",
        params={
            "as_of": (clock.now() + timedelta(seconds=1)).isoformat(),
            "include_sub_accounts": True,
        },
        headers=keys.read,
    )

    assert own.status_code == 200, own.text
    assert own.json()["balances"] == [
        {"currency": "CNY", "posted": "20.00", "entry_count": 1},
        {"currency": "USD", "posted": "1.000", "entry_count": 1},
    ]
    assert tree_later.json()["balances"][0] == {
        "currency": "CNY",
        "posted": "20.00",
        "entry_count": 3,
    }


def test_as_of_needs_a_time_with_its_offset(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")

    missing = client.get(f"/v1/accounts/{alice}/balances", headers=keys.read)
    naive = client.get(
        f"/v1/accounts/{alice}/balances", params={"as_of": "2026-01-01T10:00:00"}, headers=keys.read
    )
    garbage = client.get(
        f"/v1/accounts/{alice}/balances", params={"as_of": "yesterday"}, headers=keys.read
    )

    assert [r.status_code for r in (missing, naive, garbage)] == [422, 422, 422]
    assert {r.json()["field"] for r in (missing, naive, garbage)} == {"as_of"}


def test_another_tenants_account_has_no_past_balances_for_this_key(
    client: TestClient, ledger: Ledger, keys: Keys, clock: ManualClock
) -> None:
    other = tenant_with_keys(ledger, "Platform B")
    theirs = create_account(client, other.write, "theirs")
    transfer(client, other.write, "@world", theirs, "5.00")  # a history, in their tenant
    ours = create_account(client, keys.write, "ours")  # no history yet
    later = {"as_of": (clock.now() + timedelta(seconds=1)).isoformat()}

    foreign = client.get(f"/v1/accounts/{theirs}/balances", params=later, headers=keys.read)
    own = client.get(f"/v1/accounts/{theirs}/balances", params=later, headers=other.read)
    empty = client.get(f"/v1/accounts/{ours}/balances", params=later, headers=keys.read)

    assert foreign.status_code == 404 and foreign.json()["field"] == "account_id"
    assert own.json()["balances"] == [{"currency": "CNY", "posted": "5.00", "entry_count": 1}]
    assert empty.status_code == 200 and empty.json()["balances"] == []
