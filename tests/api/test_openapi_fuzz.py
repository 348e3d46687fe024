"""Schemathesis over /openapi.json: every operation gets generated requests, valid and not, and
every answer must match the document (status code, content type, headers, body) and never be
a 5xx.

One test item per operation, each on its own freshly seeded SQLite database with an admin key,
so a request that revokes a key or closes an account spoils nothing for the others. Made-up
ids only ever reach a 404, so about half of the generated ids, currencies and amounts are
swapped for real ones (chosen by a checksum of the generated value: the run is
reproducible). Seeded and derandomized, so CI sees the same requests every time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from tallybook.api.app import create_app
from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.model import Role
from tallybook.storage.database import Database
from tests.api.conftest import bearer
from tests.api.helpers import create_account, transfer
from tests.support import ManualClock

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260115,
        "generation": {
            "max-examples": 20,
            "deterministic": True,
            "database": "none",
            # The test sends a real key; generated ones would only ever meet the same 401.
            "with-security-parameters": False,
        },
        "continue-on-failure": True,
        "checks": {
            # A schema cannot say which cursors the API gave out, nor how many decimals a
            # tenant's currency has: a schema-valid request may still be a 422.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
            }
        },
        "operations": [
            {
                # GET /v1/transfers/batch is GET /v1/transfers/{transfer_id} with `batch` as
                # the id: a 422 naming transfer_id, not a 405.
                "include-name": "POST /v1/transfers/batch",
                "phases": {
                    "coverage": {
                        "unexpected-methods": ["DELETE", "OPTIONS", "PATCH", "PUT", "TRACE"]
                    }
                },
            }
        ],
    }
)
# The document does not depend on the data: it is read from an app whose ledger never starts.
# Every call names the test's own app (`app=`), which takes its place.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(ledger=Ledger(Database("sqlite://"))), config=CONFIG
)

# Which pool of real values a field of that name draws from, wherever it appears.
POOL_OF_FIELD = {
    "account_id": "accounts",
    "parent_id": "accounts",
    "debit_account_id": "account_references",
    "credit_account_id": "account_references",
    "transfer_id": "transfers",
    "key_id": "keys",
    "code": "currency_codes",
    "currency": "currencies",
    "amount": "amounts",
}


@dataclass(frozen=True)
class Target:
    app: FastAPI
    headers: dict[str, str]
    pools: dict[str, list[str]]


@pytest.fixture
def target(sqlite_database: Database) -> Iterator[Target]:
    """A tenant with a parent account funded from @world, a sub-account, a posted allocation,
    two open holds and a spare key, served by an app with an admin key."""
    with Ledger(sqlite_database, clock=ManualClock()) as ledger:
        tenant = ledger.create_tenant("Fuzzed")
        for code, decimals in (("CNY", None), ("USD", 3)):
            ledger.configure_currency(tenant.id, code, decimals)
        admin = bearer(issue_key(ledger, tenant.id, "fuzzer", Role.ADMIN)[1])
        spare_key = issue_key(ledger, tenant.id, "spare", Role.READ)[0]
        app = create_app(ledger=ledger)
        with TestClient(app) as client:
            parent = create_account(client, admin, "agency")
            child = create_account(client, admin, "agency-1", parent_id=parent)
            transfer(client, admin, "@world", parent, "100.00")
            posted = transfer(client, admin, parent, child, "10.00", type="allocation")
            holds = [
                transfer(client, admin, parent, "@world", "5.00", type="withdrawal", pending=True)
                for _ in range(2)
            ]
        pools = {
            "accounts": [parent, child],
            "account_references": [parent, child, "@world", "@revenue"],
            "transfers": [posted["id"], *(hold["id"] for hold in holds)],
            "keys": [str(spare_key.id)],
            "currency_codes": ["CNY", "EUR", "JPY"],
            "currencies": ["CNY", "USD"],
            "amounts": ["1.00", "2.50"],
        }
        yield Target(app, admin, pools)


def realistic(value: Any, pools: dict[str, list[str]], name: str | None = None) -> Any:
    """`value` with some of its ids, currencies and amounts replaced by real ones."""
    if isinstance(value, dict):
        return {key: realistic(item, pools, key) for key, item in value.items()}
    if isinstance(value, list):
        return [realistic(item, pools) for item in value]
    pool = pools.get(POOL_OF_FIELD.get(name or "", ""), [])
    choices = [value, *pool]
    return choices[zlib.crc32(repr(value).encode()) % len(choices)]


def make_realistic(case: schemathesis.Case[Any], pools: dict[str, list[str]]) -> None:
    # Assigned, not edited in place, so schemathesis re-checks whether the case is still
    # invalid (and so whether a 2xx would be a failure).
    case.path_parameters = realistic(case.path_parameters or {}, pools)
    case.query = realistic(case.query or {}, pools)
    if isinstance(case.body, dict | list):
        case.body = realistic(case.body, pools)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_answer_matches_the_openapi_document(
    case: schemathesis.Case[Any], target: Target
) -> None:
    make_realistic(case, target.pools)
    case.call_and_validate(app=target.app, headers=target.headers)
