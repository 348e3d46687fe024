"""Sub-accounts over the API: a parent's key acts on its children, a child's key sees neither
its parent nor its siblings."""

from __future__ import annotations

from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.model import Role
from tests.api.conftest import Keys, bearer
from tests.api.helpers import available, create_account, transfer


class Family:
    def __init__(self, client: TestClient, keys: Keys, ledger: Ledger) -> None:
        self.parent = create_account(client, keys.write, "reseller")
        transfer(client, keys.write, "@world", self.parent, "100.00")
        self.child = create_account(client, keys.write, "shop-1", parent_id=self.parent)
        self.sibling = create_account(client, keys.write, "shop-2", parent_id=self.parent)
        self.parent_key = self._key(ledger, keys, self.parent)
        self.child_key = self._key(ledger, keys, self.child)

    @staticmethod
    def _key(ledger: Ledger, keys: Keys, account: str) -> dict[str, str]:
        return bearer(issue_key(ledger, keys.tenant.id, account, Role.WRITE, UUID(account))[1])


@pytest.fixture
def family(client: TestClient, keys: Keys, ledger: Ledger) -> Family:
    return Family(client, keys, ledger)


def move(
    client: TestClient, headers: dict[str, str], parent: str, child: str, kind: str, amount: str
) -> Response:
    answer: Response = client.post(
        f"/v1/accounts/{parent}/{kind}",
        json={"sub_account_id": child, "amount": amount, "currency": "CNY", "note": "budget"},
        headers=headers,
    )
    return answer


def test_a_parents_key_funds_and_reclaims(client: TestClient, keys: Keys, family: Family) -> None:
    given = client.post(
        f"/v1/accounts/{family.parent}/allocations",
        json={"sub_account_id": family.child, "amount": "40.00", "currency": "CNY"},
        headers=family.parent_key | {"Idempotency-Key": "budget-1"},
    )
    taken = client.post(
        f"/v1/accounts/{family.parent}/reclaims",
        json={"sub_account_id": family.child, "amount": "15.00", "currency": "CNY"},
        headers=family.parent_key,
    )

    assert given.status_code == 201, given.text
    assert given.json()["type"] == "allocation"
    assert (taken.json()["debit_account_id"], taken.json()["credit_account_id"]) == (
        family.child,
        family.parent,
    )
    assert available(client, keys.read, family.child) == "25.00"
    for account in (family.parent, family.child):
        history = client.get(
            f"/v1/entries?account_id={account}&type=allocation", headers=keys.read
        ).json()["data"]
        assert len(history) == 2


def test_the_children_are_listed_with_their_balances(
    client: TestClient, keys: Keys, family: Family
) -> None:
    move(client, keys.write, family.parent, family.child, "allocations", "12.50")

    children = client.get(
        f"/v1/accounts/{family.parent}/sub-accounts", headers=family.parent_key
    ).json()["data"]

    assert [c["id"] for c in children] == [family.child, family.sibling]
    assert children[0]["balances"][0]["available"] == "12.50"
    assert children[1]["balances"] == []


def test_a_childs_key_sees_neither_parent_nor_siblings(client: TestClient, family: Family) -> None:
    key = family.child_key

    assert client.get(f"/v1/accounts/{family.parent}", headers=key).status_code == 404
    assert client.get(f"/v1/accounts/{family.sibling}", headers=key).status_code == 404
    assert client.get(f"/v1/accounts/{family.parent}/sub-accounts", headers=key).status_code == 404
    assert client.get(f"/v1/accounts/{family.child}", headers=key).status_code == 200
    for kind in ("allocations", "reclaims"):
        assert move(client, key, family.parent, family.child, kind, "1.00").status_code == 404
    listed = client.get("/v1/accounts", headers=key).json()["data"]
    assert [a["id"] for a in listed] == [family.child]


def test_only_a_direct_child_is_funded(client: TestClient, keys: Keys, family: Family) -> None:
    stranger = create_account(client, keys.write, "stranger")

    answer = move(client, keys.write, family.parent, stranger, "allocations", "1.00")

    assert answer.status_code == 404
    assert answer.json()["field"] == "sub_account_id"
