"""`/v1/topups` and the channels' signed callbacks."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.model import Role
from tallybook.wallet.callbacks import sign
from tests.api.conftest import Keys, bearer
from tests.api.helpers import available, create_account
from tests.support import ManualClock

SECRET = "whsec_test_0123456789abcdef"


def start_topup(
    client: TestClient, headers: dict[str, str], account: str, amount: str = "100.00", **fields: Any
) -> dict[str, Any]:
    body = {"account_id": account, "amount": amount, "currency": "CNY", "channel": "alipay"}
    answer = client.post("/v1/topups", json=body | fields, headers=headers)
    assert answer.status_code == 201, answer.text
    topup: dict[str, Any] = answer.json()
    return topup


def callback(
    client: TestClient,
    keys: Keys,
    body: dict[str, Any],
    *,
    timestamp: int,
    secret: str = SECRET,
    channel: str = "alipay",
) -> Any:
    raw = json.dumps(body).encode()
    return client.post(
        f"/v1/callbacks/{keys.tenant.id}/{channel}",
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Tallybook-Timestamp": str(timestamp),
            "X-Tallybook-Signature": "sha256=" + sign(secret, str(timestamp), raw),
        },
    )


@pytest.fixture
def alice(client: TestClient, keys: Keys) -> str:
    return create_account(client, keys.write, "alice")


@pytest.fixture
def channel_secret(client: TestClient, keys: Keys) -> str:
    answer = client.put(
        "/v1/wallet/channels/alipay", json={"callback_secret": SECRET}, headers=keys.admin
    )
    assert answer.status_code == 200, answer.text
    return SECRET


def test_start_and_confirm_a_top_up(client: TestClient, keys: Keys, alice: str) -> None:
    topup = start_topup(client, keys.write, alice, note="recharge")
    assert topup["status"] == "pending"
    assert topup["amount"] == "100.00"
    assert available(client, keys.read, alice) == "0"

    answer = client.post(
        f"/v1/topups/{topup['id']}/confirm",
        json={"external_reference": "2026112322001", "operator": "ops@example.com"},
        headers=keys.admin,
    )

    assert answer.status_code == 200, answer.text
    confirmed = answer.json()
    assert confirmed["status"] == "succeeded"
    assert confirmed["confirmed_via"] == "api"
    assert confirmed["receipt_id"].startswith("TU-")
    assert available(client, keys.read, alice) == "100.00"
    credit = client.get(f"/v1/transfers/{confirmed['transfer_id']}", headers=keys.read).json()
    assert (credit["type"], credit["receipt_id"]) == ("topup", confirmed["receipt_id"])


def test_confirming_needs_an_admin_key(client: TestClient, keys: Keys, alice: str) -> None:
    topup = start_topup(client, keys.write, alice)

    for headers in (keys.write, keys.read):
        answer = client.post(
            f"/v1/topups/{topup['id']}/confirm",
            json={"external_reference": "X"},
            headers=headers,
        )
        assert answer.status_code == 403
    assert client.post("/v1/topups", json={}, headers=keys.read).status_code == 403


def test_a_late_confirmation_is_a_conflict_naming_the_state(
    client: TestClient, keys: Keys, alice: str, clock: ManualClock
) -> None:
    topup = start_topup(client, keys.write, alice)
    clock.advance(1800)

    answer = client.post(
        f"/v1/topups/{topup['id']}/confirm", json={"external_reference": "X"}, headers=keys.admin
    )

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["code"], problem["current_state"]) == ("topup_expired", "expired")
    shown = client.get(f"/v1/topups/{topup['id']}", headers=keys.read).json()
    assert shown["status"] == "expired"


def test_fail_then_confirm_is_refused(client: TestClient, keys: Keys, alice: str) -> None:
    topup = start_topup(client, keys.write, alice)
    failed = client.post(
        f"/v1/topups/{topup['id']}/fail", json={"reason": "declined"}, headers=keys.admin
    )
    assert failed.json()["status"] == "failed"

    answer = client.post(
        f"/v1/topups/{topup['id']}/confirm", json={"external_reference": "X"}, headers=keys.admin
    )

    assert answer.status_code == 409
    assert answer.json()["current_state"] == "failed"


def test_a_retried_start_answers_the_first_top_up(
    client: TestClient, keys: Keys, alice: str
) -> None:
    body = {"account_id": alice, "amount": "5", "currency": "CNY", "channel": "card"}
    headers = keys.write | {"Idempotency-Key": "start-1"}
    first = client.post("/v1/topups", json=body, headers=headers)
    again = client.post("/v1/topups", json=body, headers=headers)
    other = client.post("/v1/topups", json=body | {"amount": "6"}, headers=headers)

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_bad_input_is_422_naming_the_field(client: TestClient, keys: Keys, alice: str) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"amount": 5}, "amount"),
        ({"amount": "5.001"}, "amount"),
        ({"channel": "paypal"}, "channel"),
        ({"channel": "Not A Channel"}, "channel"),
        ({"currency": "XXX"}, "currency"),
    ]
    for change, field in cases:
        body = {"account_id": alice, "amount": "5", "currency": "CNY", "channel": "card"} | change
        answer = client.post("/v1/topups", json=body, headers=keys.write)
        assert answer.status_code == 422, (change, answer.text)
        assert answer.json()["field"] == field, (change, answer.text)


def test_a_scoped_key_sees_only_its_top_ups(
    client: TestClient, keys: Keys, ledger: Ledger, alice: str
) -> None:
    bob = create_account(client, keys.write, "bob")
    theirs = start_topup(client, keys.write, bob)
    mine = start_topup(client, keys.write, alice)
    scoped = bearer(issue_key(ledger, keys.tenant.id, "alice", Role.WRITE, UUID(alice))[1])

    listed = client.get("/v1/topups", headers=scoped).json()["data"]

    assert [t["id"] for t in listed] == [mine["id"]]
    assert client.get(f"/v1/topups/{theirs['id']}", headers=scoped).status_code == 404
    refused = client.post(
        "/v1/topups",
        json={"account_id": bob, "amount": "1", "currency": "CNY", "channel": "card"},
        headers=scoped,
    )
    assert refused.status_code == 404


def test_the_list_pages_and_filters(client: TestClient, keys: Keys, alice: str) -> None:
    made = [start_topup(client, keys.write, alice, amount=str(n))["id"] for n in range(1, 6)]
    client.post(
        f"/v1/topups/{made[0]}/confirm", json={"external_reference": "A"}, headers=keys.admin
    )

    first = client.get("/v1/topups?limit=2&order=oldest_first", headers=keys.read).json()
    second = client.get(
        f"/v1/topups?limit=2&order=oldest_first&cursor={first['next_cursor']}", headers=keys.read
    ).json()
    succeeded = client.get("/v1/topups?status=succeeded", headers=keys.read).json()["data"]

    assert [t["id"] for t in first["data"] + second["data"]] == made[:4]
    assert [t["id"] for t in succeeded] == [made[0]]


# -- callbacks ---------------------------------------------------------------------------------


def test_a_signed_callback_confirms(
    client: TestClient, keys: Keys, alice: str, clock: ManualClock, channel_secret: str
) -> None:
    topup = start_topup(client, keys.write, alice)
    now = int(clock.now().timestamp())

    answer = callback(
        client,
        keys,
        {"topup_id": topup["id"], "status": "succeeded", "external_reference": "ALI-9"},
        timestamp=now,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "succeeded"
    assert answer.json()["confirmed_via"] == "callback"
    assert available(client, keys.read, alice) == "100.00"


def test_a_callback_with_a_bad_signature_is_refused(
    client: TestClient, keys: Keys, alice: str, clock: ManualClock, channel_secret: str
) -> None:
    topup = start_topup(client, keys.write, alice)
    body = {"topup_id": topup["id"], "status": "succeeded", "external_reference": "ALI-9"}
    now = int(clock.now().timestamp())

    forged = callback(client, keys, body, timestamp=now, secret="not-the-secret-at-all")
    unsigned = client.post(f"/v1/callbacks/{keys.tenant.id}/alipay", json=body)
    other_channel = callback(client, keys, body, timestamp=now, channel="wechat")

    for answer in (forged, unsigned, other_channel):
        assert answer.status_code == 401
        assert answer.json()["code"] == "invalid_signature"
    assert available(client, keys.read, alice) == "0"


def test_a_callback_signed_outside_five_minutes_is_refused(
    client: TestClient, keys: Keys, alice: str, clock: ManualClock, channel_secret: str
) -> None:
    topup = start_topup(client, keys.write, alice)
    body = {"topup_id": topup["id"], "status": "succeeded", "external_reference": "ALI-9"}
    now = int(clock.now().timestamp())

    stale = callback(client, keys, body, timestamp=now - 301)
    early = callback(client, keys, body, timestamp=now + 301)
    in_window = callback(client, keys, body, timestamp=now - 299)

    for answer in (stale, early):
        assert answer.status_code == 401
        assert answer.json()["code"] == "stale_timestamp"
    assert in_window.status_code == 200


def test_a_replayed_callback_with_a_new_timestamp_credits_nothing_more(
    client: TestClient, keys: Keys, alice: str, clock: ManualClock, channel_secret: str
) -> None:
    topup = start_topup(client, keys.write, alice)
    body = {"topup_id": topup["id"], "status": "succeeded", "external_reference": "ALI-9"}
    first = callback(client, keys, body, timestamp=int(clock.now().timestamp()))
    clock.advance(600)

    again = callback(client, keys, body, timestamp=int(clock.now().timestamp()))

    assert again.status_code == 200
    assert again.json() == first.json()
    assert available(client, keys.read, alice) == "100.00"
    history = client.get(f"/v1/entries?account_id={alice}", headers=keys.read).json()["data"]
    assert len(history) == 1


def test_a_failure_callback_and_a_malformed_one(
    client: TestClient, keys: Keys, alice: str, clock: ManualClock, channel_secret: str
) -> None:
    topup = start_topup(client, keys.write, alice)
    now = int(clock.now().timestamp())

    failed = callback(
        client,
        keys,
        {"topup_id": topup["id"], "status": "failed", "reason": "cancelled"},
        timestamp=now,
    )
    no_reference = callback(
        client, keys, {"topup_id": topup["id"], "status": "succeeded"}, timestamp=now
    )
    unknown = callback(client, keys, {"topup_id": "nope", "status": "failed"}, timestamp=now)

    assert failed.status_code == 200 and failed.json()["status"] == "failed"
    assert no_reference.status_code == 422
    assert no_reference.json()["field"] == "external_reference"
    assert unknown.status_code == 422 and unknown.json()["field"] == "topup_id"


def test_the_channel_secret_is_shown_once_and_channels_are_listed(
    client: TestClient, keys: Keys
) -> None:
    made = client.put("/v1/wallet/channels/paypal", headers=keys.admin)
    assert made.status_code == 200
    assert len(made.json()["callback_secret"]) >= 16
    assert client.put("/v1/wallet/channels/paypal", headers=keys.write).status_code == 403

    listed = {c["name"]: c for c in client.get("/v1/wallet/channels", headers=keys.read).json()}

    assert listed["paypal"] == {"name": "paypal", "built_in": False, "has_callback_secret": True}
    assert listed["alipay"]["built_in"] and not listed["alipay"]["has_callback_secret"]
    assert "callback_secret" not in listed["paypal"]


def test_a_malformed_timestamp_is_refused_like_a_bad_signature(
    client: TestClient, keys: Keys, alice: str, channel_secret: str
) -> None:
    topup = start_topup(client, keys.write, alice)
    raw = json.dumps({"topup_id": topup["id"], "status": "failed"}).encode()
    for timestamp in ("9" * 5000, "12\u00b2", "-5", ""):
        answer = client.post(
            f"/v1/callbacks/{keys.tenant.id}/alipay",
            content=raw,
            headers={
                "X-Tallybook-Timestamp": timestamp.encode("latin-1"),
                "X-Tallybook-Signature": sign(SECRET, timestamp, raw),
            },
        )
        assert answer.status_code == 401, (timestamp, answer.text)
        assert answer.json()["code"] == "invalid_signature"


def test_a_time_bound_without_a_zone_is_a_422(client: TestClient, keys: Keys) -> None:
    for path in ("/v1/topups", "/v1/withdrawals", "/v1/orders", "/v1/transfers", "/v1/entries"):
        answer = client.get(f"{path}?created_from=2026-01-01T00:00:00", headers=keys.read)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["field"] == "created_from"
