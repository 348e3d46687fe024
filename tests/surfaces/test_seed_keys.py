"""The keys `tallybook demo` can print: with each, its seed's client works as written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tallybook.ledger import Ledger
from tallybook.surfaces.seed_keys import issue_seed_keys
from tests.surfaces.story import Story


def test_each_seed_gets_a_key_on_an_account_that_fits_it(
    client: TestClient, ledger: Ledger, story: Story
) -> None:
    keys = issue_seed_keys(ledger, story.tenant.id)
    assert keys.certcentral is not None and keys.directmail is not None and keys.drf is not None

    assert (keys.certcentral.account_number, keys.certcentral.account_name) == (
        3,
        "Example Division",
    )
    assert keys.directmail.account_number == 1  # the agent, with its sub-agent
    assert keys.drf.account_number == 3  # the first with history in CNY

    digicert = client.get(
        "/services/v2/finance/balance-history", headers={"X-DC-DEVKEY": keys.certcentral.secret}
    )
    directmail = client.get("/user/scoreLogList", headers={"x-token": keys.directmail.secret})
    drf = client.get("/api/balance/wallet/", headers={"Authorization": f"Token {keys.drf.secret}"})
    assert digicert.status_code == 200 and digicert.json()["page"]["total"] == 3
    assert directmail.json()["code"] == 0 and directmail.json()["data"]["total"] == 12
    assert [wallet["id"] for wallet in drf.json()["results"]] == [3]


def test_a_tenant_without_fitting_accounts_gets_no_key(ledger: Ledger) -> None:
    tenant = ledger.create_tenant("New")
    ledger.configure_currency(tenant.id, "CNY")
    ledger.create_account(tenant.id, "quiet", "No history yet")
    keys = issue_seed_keys(ledger, tenant.id)
    assert (keys.drf, keys.certcentral, keys.directmail) == (None, None, None)
