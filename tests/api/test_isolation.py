"""Tenant isolation and key scopes over every /v1 operation of the OpenAPI document.

Another tenant's object, or one outside the key's scope, does not exist for the key: every
request naming one answers 404, exactly what the same request naming an id that never existed
answers (same status, same body), and nothing changes. No list ever shows such rows. A
missing, unknown or revoked key gets one identical 401 everywhere; a role too weak gets 403
and changes nothing.

The operations come from the document, so an operation added later without a line here
fails `test_every_v1_operation_is_covered` by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tallybook.ledger import Ledger
from tallybook.model import Role
from tests.api.conftest import Keys, bearer, tenant_with_keys
from tests.api.helpers import create_account, transfer

NEVER_EXISTED = "0190a000-0000-7000-8000-000000000000"


@dataclass(frozen=True)
class Probe:
    """One request that names one object through `target_field`."""

    method: str
    url: str
    target_field: str
    params: dict[str, Any] | None = None
    json: Any = None
    # A non-atomic batch answers 201 with the refusal as its transfer's result.
    refused_alone: bool = False

    def send(self, client: TestClient, headers: dict[str, str]) -> Response:
        answer: Response = client.request(
            self.method, self.url, params=self.params, json=self.json, headers=headers
        )
        return answer


# How each operation is aimed at an object: which kind of id it takes, and the requests that
# name it. `home` is an account the calling key may use (funded, in its scope).
AimProbes = Callable[[str, str], list[Probe]]


def _transfer_body(debit: str, credit: str) -> dict[str, Any]:
    return {
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": "1.00",
        "currency": "CNY",
        "type": "allocation",
    }


AIMED: dict[str, tuple[str, AimProbes]] = {
    "POST /v1/accounts": (
        "account",
        lambda target, _home: [
            Probe(
                "POST",
                "/v1/accounts",
                "parent_id",
                json={"external_id": "probe", "name": "probe", "parent_id": target},
            )
        ],
    ),
    "GET /v1/accounts": (
        "account",
        lambda target, _home: [
            Probe("GET", "/v1/accounts", "parent_id", params={"parent_id": target})
        ],
    ),
    "GET /v1/accounts/{account_id}": (
        "account",
        lambda target, _home: [Probe("GET", f"/v1/accounts/{target}", "account_id")],
    ),
    "PATCH /v1/accounts/{account_id}": (
        "account",
        lambda target, _home: [
            Probe(
                "PATCH",
                f"/v1/accounts/{target}",
                "account_id",
                json={"status": "frozen", "name": "taken over", "credit_limits": {"CNY": "1.00"}},
            )
        ],
    ),
    "POST /v1/transfers": (
        "account",
        lambda target, home: [
            Probe("POST", "/v1/transfers", "credit_account_id", json=_transfer_body(home, target)),
            Probe("POST", "/v1/transfers", "debit_account_id", json=_transfer_body(target, home)),
        ],
    ),
    "POST /v1/transfers/batch": (
        "account",
        lambda target, home: [
            Probe(
                "POST",
                "/v1/transfers/batch",
                "transfers[0].credit_account_id",
                json={"transfers": [_transfer_body(home, target)]},
            ),
            Probe(
                "POST",
                "/v1/transfers/batch",
                "credit_account_id",
                json={"transfers": [_transfer_body(home, target)], "atomic": False},
                refused_alone=True,
            ),
        ],
    ),
    "GET /v1/transfers": (
        "account",
        lambda target, _home: [
            Probe("GET", "/v1/transfers", "account_id", params={"account_id": target})
        ],
    ),
    "GET /v1/entries": (
        "account",
        lambda target, _home: [
            Probe(
                "GET",
                "/v1/entries",
                "account_id",
                params={"account_id": target, "include_sub_accounts": whole_tree},
            )
            for whole_tree in (False, True)
        ],
    ),
    "GET /v1/accounts/{account_id}/balances": (
        "account",
        lambda target, _home: [
            Probe(
                "GET",
                f"/v1/accounts/{target}/balances",
                "account_id",
                params={"as_of": "2030-01-01T00:00:00Z", "include_sub_accounts": whole_tree},
            )
            for whole_tree in (False, True)
        ],
    ),
    "GET /v1/accounts/{account_id}/statement": (
        "account",
        lambda target, _home: [
            Probe(
                "GET",
                f"/v1/accounts/{target}/statement",
                "account_id",
                params={"from": "2020-01-01", "to": "2020-01-31", "format": answer_format},
            )
            for answer_format in ("json", "csv", "pdf")
        ],
    ),
    "GET /v1/reports/summary": (
        "account",
        lambda target, _home: [
            Probe(
                "GET",
                "/v1/reports/summary",
                "account_id",
                params={
                    "from": "2020-01-01",
                    "to": "2020-01-31",
                    "period": "day",
                    "account_id": target,
                    "include_sub_accounts": whole_tree,
                },
            )
            for whole_tree in (False, True)
        ],
    ),
    "POST /v1/api-keys": (
        "account",
        lambda target, _home: [
            Probe(
                "POST",
                "/v1/api-keys",
                "account_id",
                json={"name": "probe", "role": "admin", "account_id": target},
            )
        ],
    ),
    "GET /v1/transfers/{transfer_id}": (
        "transfer",
        lambda target, _home: [Probe("GET", f"/v1/transfers/{target}", "transfer_id")],
    ),
    "POST /v1/transfers/{transfer_id}/post": (
        "transfer",
        lambda target, _home: [
            Probe("POST", f"/v1/transfers/{target}/post", "transfer_id", json={"amount": "1.00"})
        ],
    ),
    "POST /v1/transfers/{transfer_id}/void": (
        "transfer",
        lambda target, _home: [Probe("POST", f"/v1/transfers/{target}/void", "transfer_id")],
    ),
    "POST /v1/transfers/{transfer_id}/reverse": (
        "transfer",
        lambda target, _home: [Probe("POST", f"/v1/transfers/{target}/reverse", "transfer_id")],
    ),
    "DELETE /v1/api-keys/{key_id}": (
        "key",
        lambda target, _home: [Probe("DELETE", f"/v1/api-keys/{target}", "key_id")],
    ),
}
AIMED_KINDS = ("account", "transfer", "key")
# Operations that name no object: they act on the caller's own tenant only. The snapshots
# prove they change nothing elsewhere, the list tests that they show nothing from elsewhere.
TENANT_OWN: dict[str, Probe] = {
    "GET /v1/currencies": Probe("GET", "/v1/currencies", ""),
    "PUT /v1/currencies/{code}": Probe("PUT", "/v1/currencies/GBP", "", json={"decimals": 3}),
    "GET /v1/api-keys": Probe("GET", "/v1/api-keys", ""),
}
# The role each operation needs (docs/api.md, "Keys and roles").
ROLE_NEEDED = {
    "GET /v1/accounts": Role.READ,
    "GET /v1/accounts/{account_id}": Role.READ,
    "GET /v1/transfers": Role.READ,
    "GET /v1/transfers/{transfer_id}": Role.READ,
    "GET /v1/entries": Role.READ,
    "GET /v1/accounts/{account_id}/balances": Role.READ,
    "GET /v1/accounts/{account_id}/statement": Role.READ,
    "GET /v1/reports/summary": Role.READ,
    "GET /v1/currencies": Role.READ,
    "POST /v1/accounts": Role.WRITE,
    "PATCH /v1/accounts/{account_id}": Role.WRITE,
    "POST /v1/transfers": Role.WRITE,
    "POST /v1/transfers/batch": Role.WRITE,
    "POST /v1/transfers/{transfer_id}/post": Role.WRITE,
    "POST /v1/transfers/{transfer_id}/void": Role.WRITE,
    "POST /v1/transfers/{transfer_id}/reverse": Role.WRITE,
    "PUT /v1/currencies/{code}": Role.ADMIN,
    "GET /v1/api-keys": Role.ADMIN,
    "POST /v1/api-keys": Role.ADMIN,
    "DELETE /v1/api-keys/{key_id}": Role.ADMIN,
}


def v1_operations(client: TestClient) -> set[str]:
    document = client.get("/openapi.json").json()
    return {
        f"{method.upper()} {path}"
        for path, path_item in document["paths"].items()
        for method in path_item
        if path.startswith("/v1/")
    }


def any_request_to(operation: str) -> Probe:
    """A well-formed request to the operation, naming ids that never existed."""
    if operation in TENANT_OWN:
        return TENANT_OWN[operation]
    return AIMED[operation][1](NEVER_EXISTED, NEVER_EXISTED)[0]


# -- the world the tests probe -----------------------------------------------------------


@dataclass
class Ids:
    """Object ids by kind: `account`, `transfer`, `key`."""

    by_kind: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, *ids: str) -> None:
        self.by_kind.setdefault(kind, []).extend(ids)

    def __getitem__(self, kind: str) -> list[str]:
        return self.by_kind.get(kind, [])

    def all(self) -> set[str]:
        return {i for ids in self.by_kind.values() for i in ids}


@dataclass
class World:
    """Tenant A (the caller) and tenant B (the target), each with accounts, posted transfers,
    open holds, a reversal and keys. In A, an admin key scoped to `child` (and its
    sub-account `grandchild`), and the objects outside that scope: `parent`, `sibling`, the
    system accounts, the transfers touching none of the scope, and the other keys."""

    a: Keys
    b: Keys
    a_parent: str
    a_child: str
    a_scoped_admin: dict[str, str]
    b_ids: Ids
    a_outside_scope: Ids
    a_inside_scope_accounts: set[str]
    a_payable_system_accounts: set[str]  # revenue and fees: a scoped key may pay them


def _objects(client: TestClient, keys: Keys, prefix: str) -> tuple[Ids, dict[str, str]]:
    """A tree parent → child → grandchild, a sibling, and transfers of every kind."""
    ids = Ids()
    parent = create_account(client, keys.write, f"{prefix}-parent", tags=["shared-tag"])
    child = create_account(client, keys.write, f"{prefix}-child", parent_id=parent)
    grandchild = create_account(client, keys.write, f"{prefix}-grandchild", parent_id=child)
    sibling = create_account(client, keys.write, f"{prefix}-sibling", parent_id=parent)
    top_up = transfer(client, keys.write, "@world", parent, "500.00", order_number="ORD-1")
    to_child = transfer(client, keys.write, parent, child, "50.00", type="allocation")
    transfer(client, keys.write, child, grandchild, "5.00", type="allocation")
    to_sibling = transfer(client, keys.write, parent, sibling, "50.00", type="allocation")
    paid = transfer(
        client, keys.write, sibling, "@revenue", "10.00", type="order_payment", tags=["shared-tag"]
    )
    reversal = client.post(f"/v1/transfers/{paid['id']}/reverse", headers=keys.write).json()
    sibling_hold = transfer(
        client, keys.write, sibling, "@world", "5.00", type="withdrawal", pending=True
    )
    parent_hold = transfer(
        client, keys.write, parent, "@world", "5.00", type="withdrawal", pending=True
    )
    accounts = client.get("/v1/accounts", params={"limit": 1000}, headers=keys.read).json()
    ids.add("account", *(account["id"] for account in accounts["data"]))
    for made in (top_up, to_child, to_sibling, paid, reversal, sibling_hold, parent_hold):
        ids.add("transfer", made["id"])
    named = {
        "parent": parent,
        "child": child,
        "grandchild": grandchild,
        "sibling": sibling,
        "to_sibling": to_sibling["id"],
        "paid": paid["id"],
        "reversal": reversal["id"],
        "sibling_hold": sibling_hold["id"],
        "parent_hold": parent_hold["id"],
        "top_up": top_up["id"],
    }
    return ids, named


@pytest.fixture
def world(client: TestClient, ledger: Ledger) -> World:
    a = tenant_with_keys(ledger, "Platform A")
    b = tenant_with_keys(ledger, "Platform B")
    client.put("/v1/currencies/GBP", json={}, headers=b.admin)
    b_ids, b_named = _objects(client, b, "b")
    client.post(
        "/v1/api-keys",
        json={"name": "b scoped", "role": "admin", "account_id": b_named["child"]},
        headers=b.admin,
    )
    b_ids.add("key", *(key["id"] for key in client.get("/v1/api-keys", headers=b.admin).json()))

    _, a_named = _objects(client, a, "a")
    scoped = client.post(
        "/v1/api-keys",
        json={"name": "child admin", "role": "admin", "account_id": a_named["child"]},
        headers=a.admin,
    ).json()
    client.post(
        "/v1/api-keys",
        json={"name": "sibling reader", "role": "read", "account_id": a_named["sibling"]},
        headers=a.admin,
    )
    outside = Ids()
    outside.add("account", a_named["parent"], a_named["sibling"])
    for name in ("top_up", "to_sibling", "paid", "reversal", "sibling_hold", "parent_hold"):
        outside.add("transfer", a_named[name])
    a_keys = client.get("/v1/api-keys", headers=a.admin).json()
    outside.add("key", *(key["id"] for key in a_keys if key["id"] != scoped["id"]))
    system = client.get("/v1/accounts", params={"kind": "system"}, headers=a.read).json()
    a_system_accounts = {account["id"] for account in system["data"]}
    outside.add("account", *a_system_accounts)
    payable = {
        account["id"] for account in system["data"] if account["metadata"]["system"] != "world"
    }
    return World(
        a=a,
        b=b,
        a_parent=a_named["parent"],
        a_child=a_named["child"],
        a_scoped_admin=bearer(scoped["key"]),
        b_ids=b_ids,
        a_outside_scope=outside,
        a_inside_scope_accounts={a_named["child"], a_named["grandchild"]},
        a_payable_system_accounts=payable,
    )


def every_row(client: TestClient, headers: dict[str, str], path: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        page = client.get(path, params=params, headers=headers).json()
        rows.extend(page["data"])
        if not page["has_more"]:
            return rows
        params["cursor"] = page["next_cursor"]


def snapshot(client: TestClient, keys: Keys) -> dict[str, Any]:
    """Everything a tenant's admin sees: balances, transfers and their statuses, every
    entry, keys (with their revocation), currencies."""
    return {
        "accounts": every_row(client, keys.admin, "/v1/accounts"),
        "transfers": every_row(client, keys.admin, "/v1/transfers"),
        "entries": every_row(client, keys.admin, "/v1/entries"),
        "api_keys": client.get("/v1/api-keys", headers=keys.admin).json(),
        "currencies": client.get("/v1/currencies", headers=keys.admin).json(),
    }


def probes_at(targets: Ids, home: str) -> Iterator[tuple[str, str, Probe]]:
    for operation, (kind, aim) in AIMED.items():
        for target in targets[kind]:
            for probe in aim(target, home):
                yield operation, target, probe


def replaced(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {key: replaced(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [replaced(item, old, new) for item in value]
    return new if value == old else value


def assert_as_if_it_never_existed(
    client: TestClient, headers: dict[str, str], operation: str, target: str, probe: Probe
) -> None:
    """404 naming the target's field, and byte for byte what an id that never existed gets."""
    answer = probe.send(client, headers)
    never = Probe(
        probe.method,
        probe.url.replace(target, NEVER_EXISTED),
        probe.target_field,
        replaced(probe.params, target, NEVER_EXISTED),
        replaced(probe.json, target, NEVER_EXISTED),
    ).send(client, headers)

    label = f"{operation} naming {target} as {probe.target_field}"
    refusal = answer.json()["results"][0]["error"] if probe.refused_alone else answer.json()
    assert answer.status_code == (201 if probe.refused_alone else 404), (label, answer.text)
    assert (refusal["status"], refusal["field"]) == (404, probe.target_field), (label, refusal)
    assert answer.text.replace(target, "<id>") == never.text.replace(NEVER_EXISTED, "<id>"), (
        label,
        answer.text,
        never.text,
    )


# -- the tests ---------------------------------------------------------------------------


def test_every_v1_operation_is_covered(client: TestClient) -> None:
    operations = v1_operations(client)

    assert operations - (AIMED.keys() | TENANT_OWN.keys()) == set(), "not probed for isolation"
    assert operations - ROLE_NEEDED.keys() == set(), "no role stated"
    assert (AIMED.keys() | TENANT_OWN.keys() | ROLE_NEEDED.keys()) - operations == set()


def test_another_tenants_objects_do_not_exist_for_a_key(client: TestClient, world: World) -> None:
    before = snapshot(client, world.b)

    for operation, target, probe in probes_at(world.b_ids, home=world.a_parent):
        assert_as_if_it_never_existed(client, world.a.admin, operation, target, probe)
    for probe in TENANT_OWN.values():
        assert probe.send(client, world.a.admin).status_code == 200

    assert snapshot(client, world.b) == before
    for key in (world.b.admin, world.b.write, world.b.read):
        assert client.get("/v1/accounts", headers=key).status_code == 200


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def test_no_list_shows_another_tenants_rows(client: TestClient, world: World) -> None:
    foreign = world.b_ids.all()
    filters: dict[str, list[dict[str, Any]]] = {
        "/v1/accounts": [{}, {"external_id": "b-parent"}, {"q": "b-"}, {"tag": "shared-tag"}],
        "/v1/transfers": [{}, {"order_number": "ORD-1"}, {"type": "allocation"}],
        "/v1/entries": [{}, {"order_number": "ORD-1"}, {"tag": "shared-tag"}, {"currency": "CNY"}],
    }

    for path, variants in filters.items():
        assert every_row(client, world.a.admin, path), path
        for params in variants:
            for order in ("newest_first", "oldest_first"):
                page = client.get(
                    path, params={**params, "order": order, "limit": 1000}, headers=world.a.admin
                ).json()
                assert not set(strings_in(page["data"])) & foreign, (path, params, order)
    keys = client.get("/v1/api-keys", headers=world.a.admin).json()
    currencies = client.get("/v1/currencies", headers=world.a.admin).json()

    assert not set(strings_in(keys)) & foreign
    assert "GBP" not in {currency["code"] for currency in currencies}


def test_objects_outside_a_keys_scope_do_not_exist_for_it(client: TestClient, world: World) -> None:
    before = snapshot(client, world.a), snapshot(client, world.b)
    targets = Ids({kind: world.a_outside_scope[kind] + world.b_ids[kind] for kind in AIMED_KINDS})

    for operation, target, probe in probes_at(targets, home=world.a_child):
        paying = probe.target_field.endswith("credit_account_id")
        if paying and target in world.a_payable_system_accounts:
            continue  # a scoped key may pay the tenant's revenue and fees, unseen
        assert_as_if_it_never_existed(client, world.a_scoped_admin, operation, target, probe)

    assert (snapshot(client, world.a), snapshot(client, world.b)) == before


def test_no_list_shows_rows_outside_a_keys_scope(client: TestClient, world: World) -> None:
    inside = world.a_inside_scope_accounts
    key = world.a_scoped_admin

    accounts = every_row(client, key, "/v1/accounts")
    transfers = every_row(client, key, "/v1/transfers")
    entries = every_row(client, key, "/v1/entries")
    keys = client.get("/v1/api-keys", headers=key).json()

    assert {account["id"] for account in accounts} == inside
    assert transfers
    assert all({t["debit_account_id"], t["credit_account_id"]} & inside for t in transfers)
    assert entries and {entry["account_id"] for entry in entries} <= inside
    assert keys and {k["account_id"] for k in keys} <= inside


def test_a_missing_unknown_or_revoked_key_gets_one_identical_401(
    client: TestClient, world: World
) -> None:
    revoked = client.post(
        "/v1/api-keys", json={"name": "old", "role": "admin"}, headers=world.a.admin
    ).json()
    client.delete(f"/v1/api-keys/{revoked['id']}", headers=world.a.admin)
    unknown = "tb_" + "x" * 43
    not_keys = [
        {},
        bearer(unknown),
        {"X-API-Key": unknown},
        bearer(revoked["key"]),
        {"X-API-Key": revoked["key"]},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {revoked['key']}"},
        bearer("not-a-key"),
    ]
    before = snapshot(client, world.a)

    answers = [
        (operation, any_request_to(operation).send(client, headers))
        for operation in sorted(ROLE_NEEDED)
        for headers in not_keys
    ]

    assert {answer.status_code for _, answer in answers} == {401}
    assert len({answer.text for _, answer in answers}) == 1
    assert answers[0][1].json()["code"] == "unauthenticated"
    assert {answer.headers["www-authenticate"] for _, answer in answers} == {"Bearer"}
    assert snapshot(client, world.a) == before


def test_a_role_too_weak_gets_403_and_changes_nothing(client: TestClient, world: World) -> None:
    before = snapshot(client, world.a)

    for operation, needed in ROLE_NEEDED.items():
        for role in Role:
            if not role.allows(needed):
                answer = any_request_to(operation).send(client, getattr(world.a, role.value))

                assert answer.status_code == 403, (operation, role, answer.text)
                assert answer.json()["code"] == "forbidden", operation

    assert snapshot(client, world.a) == before
    for operation, needed in ROLE_NEEDED.items():
        answer = any_request_to(operation).send(client, getattr(world.a, needed.value))
        assert answer.status_code != 403, (operation, answer.text)
