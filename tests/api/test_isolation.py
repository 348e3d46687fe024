"""Tenant isolation and key scopes over every /v1 operation of the OpenAPI document.

Another tenant's object, or one outside the key's scope, does not exist for the key: every
request naming one answers 404, exactly what the same request naming an id that never existed
answers (same status, same body), and nothing changes. No list ever shows such rows. A
missing, unknown or revoked key gets one identical 401 everywhere; a role too weak gets 403
and changes nothing, and so does a key scoped to an account asking for what belongs to the
whole tenant (wallet settings, channels, currencies, refunds out of @revenue).

The signed channel callback takes no key: it is probed as the caller tenant's channel,
signed with that tenant's own secret, naming another tenant's top-up.

The operations come from the document, so an operation added later without a line here
fails `test_every_v1_operation_is_covered` by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tallybook.ledger import Ledger
from tallybook.model import Role
from tallybook.wallet.callbacks import sign
from tests.api.conftest import Keys, bearer, tenant_with_keys
from tests.api.helpers import create_account, transfer
from tests.support import ManualClock

NEVER_EXISTED = "0190a000-0000-7000-8000-000000000000"
A_ALIPAY_SECRET = "whsec_platform_a_0123456789"
B_ALIPAY_SECRET = "whsec_platform_b_9876543210"


@dataclass(frozen=True)
class Signing:
    """How a tenant's payment channel signs its callbacks: the tenant's secret for it, at the
    test clock's time (which stands still)."""

    secret: str
    timestamp: int


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
    # A request that needs a stronger role than its operation's (deciding a withdrawal).
    role: Role | None = None
    # A channel's callback: signed, and sent without the caller's key.
    signed: Signing | None = None

    def send(self, client: TestClient, headers: dict[str, str]) -> Response:
        if self.signed is not None:
            raw = json.dumps(self.json).encode()
            timestamp = str(self.signed.timestamp)
            headers = {
                "Content-Type": "application/json",
                "X-Tallybook-Timestamp": timestamp,
                "X-Tallybook-Signature": "sha256=" + sign(self.signed.secret, timestamp, raw),
            }
            signed: Response = client.request(self.method, self.url, content=raw, headers=headers)
            return signed
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


def _between_parent_and_child(kind: str) -> AimProbes:
    """An allocation or a reclaim naming the target as the parent, then as the sub-account."""

    def aim(target: str, home: str) -> list[Probe]:
        def body(sub_account: str) -> dict[str, Any]:
            return {"sub_account_id": sub_account, "amount": "1.00", "currency": "CNY"}

        return [
            Probe("POST", f"/v1/accounts/{target}/{kind}", "account_id", json=body(home)),
            Probe("POST", f"/v1/accounts/{home}/{kind}", "sub_account_id", json=body(target)),
        ]

    return aim


def _account_filter(path: str) -> AimProbes:
    """A list filtered on the target account."""
    return lambda target, _home: [Probe("GET", path, "account_id", params={"account_id": target})]


WITHDRAWAL_DECISIONS: dict[str, dict[str, str]] = {
    "cancel": {},
    "approve": {},
    "reject": {"reason": "probe"},
    "fail": {"reason": "probe"},
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
    "GET /v1/accounts/{account_id}/sub-accounts": (
        "account",
        lambda target, _home: [Probe("GET", f"/v1/accounts/{target}/sub-accounts", "account_id")],
    ),
    "POST /v1/accounts/{account_id}/allocations": (
        "account",
        _between_parent_and_child("allocations"),
    ),
    "POST /v1/accounts/{account_id}/reclaims": ("account", _between_parent_and_child("reclaims")),
    "GET /v1/topups": ("account", _account_filter("/v1/topups")),
    "POST /v1/topups": (
        "account",
        lambda target, _home: [
            Probe(
                "POST",
                "/v1/topups",
                "account_id",
                json={
                    "account_id": target,
                    "amount": "1.00",
                    "currency": "CNY",
                    "channel": "alipay",
                },
            )
        ],
    ),
    "GET /v1/withdrawals": ("account", _account_filter("/v1/withdrawals")),
    "POST /v1/withdrawals": (
        "account",
        lambda target, _home: [
            Probe(
                "POST",
                "/v1/withdrawals",
                "account_id",
                json={
                    "account_id": target,
                    "amount": "1.00",
                    "currency": "CNY",
                    "destination": {"alipay": "probe@example.com"},
                },
            )
        ],
    ),
    "GET /v1/orders": ("account", _account_filter("/v1/orders")),
    "POST /v1/orders": (
        "account",
        lambda target, _home: [
            Probe(
                "POST",
                "/v1/orders",
                "account_id",
                json={
                    "account_id": target,
                    "order_number": "ORD-PROBE",
                    "title": "probe",
                    "amount": "1.00",
                    "currency": "CNY",
                },
            )
        ],
    ),
    "GET /v1/topups/{topup_id}": (
        "topup",
        lambda target, _home: [Probe("GET", f"/v1/topups/{target}", "topup_id")],
    ),
    "POST /v1/topups/{topup_id}/confirm": (
        "topup",
        lambda target, _home: [
            Probe(
                "POST",
                f"/v1/topups/{target}/confirm",
                "topup_id",
                json={"external_reference": "PROBE-1"},
            )
        ],
    ),
    "POST /v1/topups/{topup_id}/fail": (
        "topup",
        lambda target, _home: [
            Probe("POST", f"/v1/topups/{target}/fail", "topup_id", json={"reason": "probe"})
        ],
    ),
    "GET /v1/withdrawals/{withdrawal_id}": (
        "withdrawal",
        lambda target, _home: [Probe("GET", f"/v1/withdrawals/{target}", "withdrawal_id")],
    ),
    "PATCH /v1/withdrawals/{withdrawal_id}": (
        "withdrawal",
        lambda target, _home: [
            Probe(
                "PATCH",
                f"/v1/withdrawals/{target}",
                "withdrawal_id",
                json={"amount": "2.00", "destination": {"alipay": "thief@example.com"}},
            )
        ],
    ),
    "POST /v1/withdrawals/{withdrawal_id}/pay": (
        "withdrawal",
        lambda target, _home: [
            Probe(
                "POST",
                f"/v1/withdrawals/{target}/pay",
                "withdrawal_id",
                json={"payout_reference": "PAY-PROBE"},
            )
        ],
    ),
    # The owner (a write key) cancels; the other decisions are an admin's.
    "POST /v1/withdrawals/{withdrawal_id}/{decision}": (
        "withdrawal",
        lambda target, _home: [
            Probe(
                "POST",
                f"/v1/withdrawals/{target}/{decision}",
                "withdrawal_id",
                json=body,
                role=None if decision == "cancel" else Role.ADMIN,
            )
            for decision, body in WITHDRAWAL_DECISIONS.items()
        ],
    ),
    "GET /v1/orders/{order_id}": (
        "order",
        lambda target, _home: [Probe("GET", f"/v1/orders/{target}", "order_id")],
    ),
    "POST /v1/orders/{order_id}/refunds": (
        "order",
        lambda target, _home: [
            Probe("POST", f"/v1/orders/{target}/refunds", "order_id", json={"amount": "1.00"})
        ],
    ),
}
AIMED_KINDS = ("account", "transfer", "key", "topup", "withdrawal", "order")
# Operations that name no object: they act on the caller's own tenant only. The snapshots
# prove they change nothing elsewhere, the list tests that they show nothing from elsewhere.
TENANT_OWN: dict[str, Probe] = {
    "GET /v1/currencies": Probe("GET", "/v1/currencies", ""),
    "PUT /v1/currencies/{code}": Probe("PUT", "/v1/currencies/GBP", "", json={"decimals": 3}),
    "GET /v1/api-keys": Probe("GET", "/v1/api-keys", ""),
    "GET /v1/wallet/settings": Probe("GET", "/v1/wallet/settings", ""),
    "PATCH /v1/wallet/settings": Probe(
        "PATCH",
        "/v1/wallet/settings",
        "",
        json={"topup_expiry_seconds": 600, "withdrawal_fee_percent": "2.50"},
    ),
    "GET /v1/wallet/channels": Probe("GET", "/v1/wallet/channels", ""),
    # Not alipay: the signed probes sign with the caller's alipay secret.
    "PUT /v1/wallet/channels/{channel}": Probe("PUT", "/v1/wallet/channels/probe_pay", "", json={}),
}
# Operations a payment channel calls, signed with the tenant's secret for the channel instead
# of a key (so no key's role or scope applies): the kind of id they name, and the requests
# naming it as the channel of the tenant whose id and signing are given.
SignedProbes = Callable[[str, UUID, Signing], list[Probe]]
SIGNED: dict[str, tuple[str, SignedProbes]] = {
    "POST /v1/callbacks/{tenant_id}/{channel}": (
        "topup",
        lambda target, tenant_id, signing: [
            Probe(
                "POST",
                f"/v1/callbacks/{tenant_id}/alipay",
                "topup_id",
                json={"topup_id": target, "status": "succeeded", "external_reference": "CB-1"},
                signed=signing,
            ),
            Probe(
                "POST",
                f"/v1/callbacks/{tenant_id}/alipay",
                "topup_id",
                json={"topup_id": target, "status": "failed", "reason": "probe"},
                signed=signing,
            ),
        ],
    ),
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
    # docs/wallet-flows.md
    "GET /v1/accounts/{account_id}/sub-accounts": Role.READ,
    "GET /v1/topups": Role.READ,
    "GET /v1/topups/{topup_id}": Role.READ,
    "GET /v1/withdrawals": Role.READ,
    "GET /v1/withdrawals/{withdrawal_id}": Role.READ,
    "GET /v1/orders": Role.READ,
    "GET /v1/orders/{order_id}": Role.READ,
    "GET /v1/wallet/settings": Role.READ,
    "GET /v1/wallet/channels": Role.READ,
    "POST /v1/accounts/{account_id}/allocations": Role.WRITE,
    "POST /v1/accounts/{account_id}/reclaims": Role.WRITE,
    "POST /v1/topups": Role.WRITE,
    "POST /v1/withdrawals": Role.WRITE,
    "PATCH /v1/withdrawals/{withdrawal_id}": Role.WRITE,
    "POST /v1/withdrawals/{withdrawal_id}/{decision}": Role.WRITE,  # cancel; see its probes
    "POST /v1/orders": Role.WRITE,
    "POST /v1/orders/{order_id}/refunds": Role.WRITE,
    "POST /v1/topups/{topup_id}/confirm": Role.ADMIN,
    "POST /v1/topups/{topup_id}/fail": Role.ADMIN,
    "POST /v1/withdrawals/{withdrawal_id}/pay": Role.ADMIN,
    "PATCH /v1/wallet/settings": Role.ADMIN,
    "PUT /v1/wallet/channels/{channel}": Role.ADMIN,
}
# What a key scoped to an account may not do even with the role: these belong to the whole
# tenant (a refund pays out of @revenue). Aimed at an object the key sees: `inside` names
# its order.
TENANT_WIDE_NEEDED: dict[str, Callable[[dict[str, str]], Probe]] = {
    "PUT /v1/currencies/{code}": lambda _inside: TENANT_OWN["PUT /v1/currencies/{code}"],
    "PATCH /v1/wallet/settings": lambda _inside: TENANT_OWN["PATCH /v1/wallet/settings"],
    "PUT /v1/wallet/channels/{channel}": (
        lambda _inside: TENANT_OWN["PUT /v1/wallet/channels/{channel}"]
    ),
    "POST /v1/orders/{order_id}/refunds": (
        lambda inside: AIMED["POST /v1/orders/{order_id}/refunds"][1](inside["order"], "")[0]
    ),
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
    return requests_to(operation)[0]


def requests_to(operation: str) -> list[Probe]:
    """The operation's well-formed requests, naming ids that never existed."""
    if operation in TENANT_OWN:
        return [TENANT_OWN[operation]]
    return AIMED[operation][1](NEVER_EXISTED, NEVER_EXISTED)


# -- the world the tests probe -----------------------------------------------------------


@dataclass
class Ids:
    """Object ids by kind: `account`, `transfer`, `key`, `topup`, `withdrawal`, `order`."""

    by_kind: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, *ids: str) -> None:
        self.by_kind.setdefault(kind, []).extend(ids)

    def extend(self, other: Ids) -> None:
        for kind, ids in other.by_kind.items():
            self.add(kind, *ids)

    def __getitem__(self, kind: str) -> list[str]:
        return self.by_kind.get(kind, [])

    def all(self) -> set[str]:
        return {i for ids in self.by_kind.values() for i in ids}


@dataclass
class World:
    """Tenant A (the caller) and tenant B (the target), each with accounts, posted transfers,
    open holds, a reversal, keys, pending and settled top-ups, pending and approved
    withdrawals, paid orders, and a callback secret for alipay (each its own). In A, an admin
    key scoped to `child` (and its sub-account `grandchild`), and the objects outside that
    scope: `parent`, `sibling`, the system accounts, the transfers touching none of the scope,
    the other keys, and the top-ups, withdrawals and orders of `parent` and `sibling`."""

    a: Keys
    b: Keys
    a_parent: str
    a_child: str
    a_scoped_admin: dict[str, str]
    a_signing: Signing  # A's alipay channel signing its callbacks
    b_ids: Ids
    a_outside_scope: Ids
    a_inside_scope_accounts: set[str]
    a_inside_scope: dict[str, str]  # the child's `topup`, `withdrawal` and `order`
    a_payable_system_accounts: set[str]  # revenue and fees: a scoped key may pay them


def _objects(
    client: TestClient, keys: Keys, prefix: str
) -> tuple[Ids, dict[str, str], dict[str, Ids]]:
    """A tree parent → child → grandchild, a sibling, transfers of every kind, and the
    wallet flows' records of parent, child and sibling (by account name)."""
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
    wallet = _wallet_objects(client, keys, {"parent": parent, "child": child, "sibling": sibling})
    for records in wallet.values():
        ids.extend(records)
    return ids, named, wallet


def _made(answer: Response) -> str:
    assert answer.status_code in (200, 201), answer.text
    made: str = answer.json()["id"]
    return made


def _wallet_objects(client: TestClient, keys: Keys, accounts: dict[str, str]) -> dict[str, Ids]:
    """On each of `accounts`, by name: a top-up and a withdrawal left pending (ready to
    confirm or approve) and a paid order (ready to refund); on `parent` also a settled top-up
    and an approved withdrawal (ready to pay)."""
    made: dict[str, Ids] = {}
    for name, account in accounts.items():
        ids = made[name] = Ids()
        topup = {"account_id": account, "amount": "8.00", "currency": "CNY", "channel": "alipay"}
        withdrawal = {
            "account_id": account,
            "amount": "4.00",
            "currency": "CNY",
            "destination": {"alipay": f"{name}@example.com"},
        }
        order = {
            "account_id": account,
            "order_number": f"ORD-{name}",
            "title": "Earbuds",
            "amount": "3.00",
            "currency": "CNY",
            "country_code": "CN",
            "tags": ["shared-tag"],
        }
        ids.add("topup", _made(client.post("/v1/topups", json=topup, headers=keys.write)))
        ids.add(
            "withdrawal", _made(client.post("/v1/withdrawals", json=withdrawal, headers=keys.write))
        )
        ids.add("order", _made(client.post("/v1/orders", json=order, headers=keys.write)))
        if name == "parent":
            settled = _made(client.post("/v1/topups", json=topup, headers=keys.write))
            confirm = {"external_reference": "ALIPAY-1"}
            client.post(f"/v1/topups/{settled}/confirm", json=confirm, headers=keys.admin)
            approved = _made(client.post("/v1/withdrawals", json=withdrawal, headers=keys.write))
            client.post(f"/v1/withdrawals/{approved}/approve", headers=keys.admin)
            ids.add("topup", settled)
            ids.add("withdrawal", approved)
    return made


@pytest.fixture
def world(client: TestClient, ledger: Ledger, clock: ManualClock) -> World:
    a = tenant_with_keys(ledger, "Platform A")
    b = tenant_with_keys(ledger, "Platform B")
    client.put("/v1/currencies/GBP", json={}, headers=b.admin)
    for keys, secret in ((a, A_ALIPAY_SECRET), (b, B_ALIPAY_SECRET)):
        answer = client.put(
            "/v1/wallet/channels/alipay", json={"callback_secret": secret}, headers=keys.admin
        )
        assert answer.status_code == 200, answer.text
    client.put("/v1/wallet/channels/b_private", json={}, headers=b.admin)
    client.patch("/v1/wallet/settings", json={"withdrawal_fee_percent": "1.00"}, headers=b.admin)
    b_ids, b_named, _ = _objects(client, b, "b")
    client.post(
        "/v1/api-keys",
        json={"name": "b scoped", "role": "admin", "account_id": b_named["child"]},
        headers=b.admin,
    )
    b_ids.add("key", *(key["id"] for key in client.get("/v1/api-keys", headers=b.admin).json()))

    _, a_named, a_wallet = _objects(client, a, "a")
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
    outside.extend(a_wallet["parent"])
    outside.extend(a_wallet["sibling"])
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
        a_signing=Signing(A_ALIPAY_SECRET, int(clock.now().timestamp())),
        b_ids=b_ids,
        a_outside_scope=outside,
        a_inside_scope_accounts={a_named["child"], a_named["grandchild"]},
        a_inside_scope={kind: ids[0] for kind, ids in a_wallet["child"].by_kind.items()},
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
    entry, keys (with their revocation), currencies, the wallet flows' records with their
    states, the wallet settings and channels."""
    return {
        "accounts": every_row(client, keys.admin, "/v1/accounts"),
        "transfers": every_row(client, keys.admin, "/v1/transfers"),
        "entries": every_row(client, keys.admin, "/v1/entries"),
        "api_keys": client.get("/v1/api-keys", headers=keys.admin).json(),
        "currencies": client.get("/v1/currencies", headers=keys.admin).json(),
        "topups": every_row(client, keys.admin, "/v1/topups"),
        "withdrawals": every_row(client, keys.admin, "/v1/withdrawals"),
        "orders": every_row(client, keys.admin, "/v1/orders"),
        "wallet_settings": client.get("/v1/wallet/settings", headers=keys.admin).json(),
        "channels": client.get("/v1/wallet/channels", headers=keys.admin).json(),
    }


def probes_at(targets: Ids, home: str) -> Iterator[tuple[str, str, Probe]]:
    for operation, (kind, aim) in AIMED.items():
        for target in targets[kind]:
            for probe in aim(target, home):
                yield operation, target, probe


def signed_probes_at(
    targets: Ids, tenant_id: UUID, signing: Signing
) -> Iterator[tuple[str, str, Probe]]:
    for operation, (kind, aim) in SIGNED.items():
        for target in targets[kind]:
            for probe in aim(target, tenant_id, signing):
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
    never = replace(
        probe,
        url=probe.url.replace(target, NEVER_EXISTED),
        params=replaced(probe.params, target, NEVER_EXISTED),
        json=replaced(probe.json, target, NEVER_EXISTED),
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

    probed = AIMED.keys() | TENANT_OWN.keys() | SIGNED.keys()
    assert operations - probed == set(), "not probed for isolation"
    assert operations - (ROLE_NEEDED.keys() | SIGNED.keys()) == set(), "no role stated"
    assert (probed | ROLE_NEEDED.keys() | TENANT_WIDE_NEEDED.keys()) - operations == set()
    assert ROLE_NEEDED.keys() & SIGNED.keys() == set(), "a signed operation takes no key"


def test_another_tenants_objects_do_not_exist_for_a_key(client: TestClient, world: World) -> None:
    before = snapshot(client, world.b)

    for operation, target, probe in probes_at(world.b_ids, home=world.a_parent):
        assert_as_if_it_never_existed(client, world.a.admin, operation, target, probe)
    # A's own channel, signed with A's own secret, reporting B's top-ups paid or failed.
    for operation, target, probe in signed_probes_at(
        world.b_ids, world.a.tenant.id, world.a_signing
    ):
        assert_as_if_it_never_existed(client, {}, operation, target, probe)
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
        "/v1/topups": [{}, {"status": "pending"}, {"channel": "alipay"}, {"currency": "CNY"}],
        "/v1/withdrawals": [{}, {"status": "pending"}, {"status": "approved"}],
        "/v1/orders": [
            {},
            {"order_number": "ORD-sibling"},
            {"tag": "shared-tag"},
            {"country_code": "CN"},
            {"status": "paid"},
        ],
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
    sub_accounts = every_row(client, world.a.admin, f"/v1/accounts/{world.a_parent}/sub-accounts")
    channels = client.get("/v1/wallet/channels", headers=world.a.admin).json()
    settings = client.get("/v1/wallet/settings", headers=world.a.admin).json()

    assert not set(strings_in(keys)) & foreign
    assert "GBP" not in {currency["code"] for currency in currencies}
    assert sub_accounts and not set(strings_in(sub_accounts)) & foreign
    assert "b_private" not in {channel["name"] for channel in channels}
    assert settings["withdrawal_fee_percent"] != "1.00"  # B's fee


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
    sub_accounts = every_row(client, key, f"/v1/accounts/{world.a_child}/sub-accounts")
    records = {
        kind: every_row(client, key, f"/v1/{kind}s") for kind in ("topup", "withdrawal", "order")
    }

    assert {account["id"] for account in accounts} == inside
    assert transfers
    assert all({t["debit_account_id"], t["credit_account_id"]} & inside for t in transfers)
    assert entries and {entry["account_id"] for entry in entries} <= inside
    assert keys and {k["account_id"] for k in keys} <= inside
    assert {account["id"] for account in sub_accounts} == inside - {world.a_child}
    for kind, rows in records.items():
        assert {row["id"] for row in rows} == {world.a_inside_scope[kind]}, kind


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

    for operation, probe, needed in requests_with_their_roles():
        for role in Role:
            if not role.allows(needed):
                answer = probe.send(client, getattr(world.a, role.value))

                assert answer.status_code == 403, (operation, probe.url, role, answer.text)
                assert answer.json()["code"] == "forbidden", operation

    assert snapshot(client, world.a) == before
    for operation, probe, needed in requests_with_their_roles():
        answer = probe.send(client, getattr(world.a, needed.value))
        assert answer.status_code != 403, (operation, probe.url, answer.text)


def requests_with_their_roles() -> Iterator[tuple[str, Probe, Role]]:
    for operation, needed in ROLE_NEEDED.items():
        for probe in requests_to(operation):
            yield operation, probe, probe.role or needed


def test_a_scoped_key_gets_403_for_what_belongs_to_the_whole_tenant(
    client: TestClient, world: World
) -> None:
    before = snapshot(client, world.a)

    for operation, aim in TENANT_WIDE_NEEDED.items():
        answer = aim(world.a_inside_scope).send(client, world.a_scoped_admin)

        assert answer.status_code == 403, (operation, answer.text)
        assert answer.json()["code"] == "forbidden", operation

    assert snapshot(client, world.a) == before


def test_a_callback_signed_with_another_tenants_secret_is_refused(
    client: TestClient, world: World
) -> None:
    """A's secret on B's channel: refused as unsigned, whatever the top-up, crediting
    nothing."""
    before = snapshot(client, world.b)
    forged = Signing("whsec_not_anyones_secret_000", world.a_signing.timestamp)

    for _, target, probe in signed_probes_at(world.b_ids, world.b.tenant.id, world.a_signing):
        answer = probe.send(client, {})
        garbage = replace(probe, signed=forged).send(client, {})

        assert answer.status_code == 401, (target, answer.text)
        assert answer.json()["code"] == "invalid_signature"
        assert answer.text == garbage.text

    assert snapshot(client, world.b) == before
