"""A tenant with keys of every role (the `client` on the app is in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.model import Role, Tenant


@dataclass(frozen=True)
class Keys:
    """A tenant (CNY, EUR, USD with three decimals) and one key of each role."""

    tenant: Tenant
    admin: dict[str, str]
    write: dict[str, str]
    read: dict[str, str]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def tenant_with_keys(ledger: Ledger, name: str = "Platform A") -> Keys:
    tenant = ledger.create_tenant(name)
    for code, decimals in (("CNY", None), ("EUR", None), ("USD", 3)):
        ledger.configure_currency(tenant.id, code, decimals)
    return Keys(
        tenant=tenant,
        **{
            role.value: bearer(issue_key(ledger, tenant.id, f"{role} key", role)[1])
            for role in Role
        },
    )


@pytest.fixture
def keys(ledger: Ledger) -> Keys:
    return tenant_with_keys(ledger)
