"""`GET /v1/accounts/{id}/balances?as_of=…` over HTTP."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import Keys
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
