"""The seeds' own example clients, run as written against a live server: only the base URL
and the key are changed, as a user switching to Tallybook would change them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal

import pytest

from tallybook.ledger import Ledger
from tallybook.ledger.queries import EntryQuery, Slice
from tallybook.model import AccountKind
from tests.surfaces.story import Story

CLIENT_SECONDS = 30

# Seed 001, its Python example, character for character.
DIGICERT_PYTHON_CLIENT = """\
import requests
url = "https://www.digicert.com/services/v2/finance/balance-history"
payload = ""
headers = {
'X-DC-DEVKEY': "{{api_key}}",
'Content-Type': "application/json"
}
response = requests.request("GET", url, data=payload, headers=headers)
print(response.text)
"""
DIGICERT_BASE_URL = "https://www.digicert.com"

# Seed 002, its curl example, character for character (its empty `x-token;` header is
# where the key goes).
DIRECTMAIL_CURL_CLIENT = """\
curl --location --request GET 'http://api.testagent.mumamail.com/user/scoreLogList?pageSize=10&page=1&country_code=&type=&order_no=&start=&end=&tag=' \\
--header 'x-token;'
"""  # noqa: E501 - the seed's line, unbroken
DIRECTMAIL_BASE_URL = "http://api.testagent.mumamail.com"


def run(command: list[str]) -> str:
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=CLIENT_SECONDS, check=True
    )
    return finished.stdout


def test_seed_001_python_client_reads_the_division_history(
    live_server: str, ledger: Ledger, story: Story
) -> None:
    client = DIGICERT_PYTHON_CLIENT.replace(DIGICERT_BASE_URL, live_server).replace(
        "{{api_key}}", story.division_key
    )
    printed = json.loads(run([sys.executable, "-c", client]))

    entries = list(reversed(ledger.entries(story.tenant.id, story.division)))
    assert [row["id"] for row in printed["adjustments"]] == [str(e.id) for e in entries]
    assert [row.get("credit") or "-" + row["debit"] for row in printed["adjustments"]] == [
        str(Decimal(e.amount).scaleb(-2)) for e in entries
    ]
    assert [row["balance_after"] for row in printed["adjustments"]] == [
        str(Decimal(e.balance_after).scaleb(-2)) for e in entries
    ]
    assert printed["page"] == {"total": len(entries), "limit": 1000, "offset": 0}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_002_curl_client_reads_the_agent_and_its_sub_agent(
    live_server: str, ledger: Ledger, story: Story
) -> None:
    client = DIRECTMAIL_CURL_CLIENT.replace(DIRECTMAIL_BASE_URL, live_server).replace(
        "'x-token;'", f"'x-token: {story.agent_key}'"
    )
    printed = json.loads(run(["bash", "-c", client]))

    tree = frozenset({story.agent, story.sub_agent})
    expected = ledger.slice_entries(
        EntryQuery(story.tenant.id, account_ids=tree, account_kind=AccountKind.CUSTOMER),
        Slice(offset=0, limit=10),
    )
    rows = printed["data"]["list"]
    assert (printed["code"], printed["msg"]) == (0, "success")
    assert {k: v for k, v in printed["data"].items() if k != "list"} == {
        "total": expected.total,
        "page": 1,
        "pageSize": 10,
    }
    assert [row["id"] for row in rows] == [line.entry.id for line in expected.items]
    assert [row["after_balance"] for row in rows] == [
        format(Decimal(line.entry.balance_after).scaleb(-3).normalize(), "f")
        for line in expected.items
    ]
