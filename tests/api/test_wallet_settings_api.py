"""`/v1/wallet/settings`: read by any key, changed by an admin key for the whole tenant."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.model import Role
from tests.api.conftest import Keys, bearer
from tests.api.helpers import create_account


def test_defaults_then_a_change(client: TestClient, keys: Keys) -> None:
    assert client.get("/v1/wallet/settings", headers=keys.read).json() == {
        "topup_expiry_seconds": 1800,
        "withdrawal_fee_percent": "0.00",
        "withdrawal_rules": {},
    }

    answer = client.patch(
        "/v1/wallet/settings",
        json={
            "topup_expiry_seconds": 900,
            "withdrawal_fee_percent": "0.6",
            "withdrawal_rules": {"USD": {"fee_fixed": "0.125", "daily_maximum": "1000"}},
        },
        headers=keys.admin,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "topup_expiry_seconds": 900,
        "withdrawal_fee_percent": "0.60",
        "withdrawal_rules": {
            "USD": {"fee_fixed": "0.125", "minimum": "0.000", "daily_maximum": "1000.000"}
        },
    }


def test_bad_settings_are_422_and_change_nothing(client: TestClient, keys: Keys) -> None:
    fine = {"topup_expiry_seconds": 600}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"topup_expiry_seconds": 10}, "topup_expiry_seconds"),
        (fine | {"withdrawal_fee_percent": "0.605"}, "withdrawal_fee_percent"),
        (fine | {"withdrawal_fee_percent": "100"}, "withdrawal_fee_percent"),
        (
            fine | {"withdrawal_rules": {"CNY": {"fee_fixed": "0.001"}}},
            "withdrawal_rules.CNY.fee_fixed",
        ),
        (fine | {"withdrawal_rules": {"GBP": {}}}, "currency"),
    ]
    for body, field in cases:
        answer = client.patch("/v1/wallet/settings", json=body, headers=keys.admin)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["field"] == field, (body, answer.text)
    settings = client.get("/v1/wallet/settings", headers=keys.read).json()
    assert settings["topup_expiry_seconds"] == 1800


def test_only_a_tenant_wide_admin_changes_them(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    account = create_account(client, keys.write, "alice")
    scoped_admin = bearer(issue_key(ledger, keys.tenant.id, "a", Role.ADMIN, UUID(account))[1])

    for headers in (keys.write, scoped_admin):
        answer = client.patch(
            "/v1/wallet/settings", json={"topup_expiry_seconds": 600}, headers=headers
        )
        assert answer.status_code == 403
