"""W5 and W6 as a client sees them: one connection, the same request again and again for a
few seconds (wrk), p50 and p99 per request.

W5 reads a page of 100 order payments of the revenue account, newest first, filtered by
account, currency and type: the first page, and the page starting 100,000 rows deep (its
cursor found by walking there 1,000 rows at a time). The DRF baseline reads the same pages
with `?page=N`. W6 reads the revenue account now (`GET /v1/accounts/{id}`) and as of a moment
half-way through its history (`GET /v1/accounts/{id}/balances?as_of=…`).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from suite.config import HISTORY_PAGE, Sizes
from suite.drf import DrfFixture
from suite.history_load import CURRENCY, HistoryFixture
from suite.loadgen import LoadResult, get_script
from suite.processes import Service, say
from suite.servers import measure

WALK_PAGE = 1000


@dataclass(frozen=True)
class TallybookReads:
    first_page: LoadResult
    deep_page: LoadResult
    balance_now: LoadResult
    balance_as_of: LoadResult


def _entries_query(fixture: HistoryFixture) -> dict[str, str]:
    return {"account_id": str(fixture.revenue), "currency": CURRENCY, "type": "order_payment"}


def first_page_path(fixture: HistoryFixture) -> str:
    """W5's first page: the newest 100 order payments of the revenue account."""
    first = _entries_query(fixture) | {"limit": str(HISTORY_PAGE)}
    return f"/v1/entries?{urllib.parse.urlencode(first)}"


def cursor_at(base_url: str, fixture: HistoryFixture, depth: int) -> str:
    """The cursor of the page that starts `depth` rows into the filtered history."""
    if depth % WALK_PAGE:
        raise ValueError(f"depth must be a multiple of {WALK_PAGE}")
    query = _entries_query(fixture) | {"limit": str(WALK_PAGE)}
    cursor = ""
    for _ in range(depth // WALK_PAGE):
        parameters = query | ({"cursor": cursor} if cursor else {})
        request = urllib.request.Request(
            f"{base_url}/v1/entries?{urllib.parse.urlencode(parameters)}",
            headers={"Authorization": f"Bearer {fixture.api_key}"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            page = json.load(answer)
        if not page["has_more"]:
            raise SystemExit(f"the history ends before {depth:,} rows")
        cursor = page["next_cursor"]
    return cursor


def tallybook_reads(
    base_url: str,
    fixture: HistoryFixture,
    *,
    depth: int,
    sizes: Sizes,
    work: Path,
    server: Service | None = None,
) -> TallybookReads:
    headers = {"Authorization": f"Bearer {fixture.api_key}"}
    log = work / "tallybook-history.log"
    say(f"  tallybook: walking to the page {depth:,} rows deep")
    deep = {"cursor": cursor_at(base_url, fixture, depth)}
    as_of = fixture.shape.middle.isoformat().replace("+00:00", "Z")
    paths = {
        "first_page": first_page_path(fixture),
        "deep_page": f"{first_page_path(fixture)}&{urllib.parse.urlencode(deep)}",
        "balance_now": f"/v1/accounts/{fixture.revenue}",
        "balance_as_of": f"/v1/accounts/{fixture.revenue}/balances?"
        + urllib.parse.urlencode({"as_of": as_of}),
    }
    results: dict[str, LoadResult] = {}
    for name, path in paths.items():
        say(f"  tallybook: {name.replace('_', ' ')}, one client")
        script = get_script(work, f"tallybook-{name}", path=path, headers=headers)
        results[name] = measure(
            base_url, script, connections=1, sizes=sizes, log_path=log, read=True, server=server
        )
    return TallybookReads(**results)


def drf_pages(
    base_url: str,
    fixture: DrfFixture,
    *,
    depth: int,
    sizes: Sizes,
    work: Path,
    server: Service | None = None,
) -> tuple[LoadResult, LoadResult]:
    """The DRF baseline's first page and the page `depth` rows deep (PageNumberPagination)."""
    results = []
    for name, page in (("first", 1), ("deep", depth // HISTORY_PAGE + 1)):
        query = {
            "wallet": str(fixture.revenue_wallet),
            "type": "order_payment",
            "page_size": str(HISTORY_PAGE),
            "page": str(page),
        }
        say(f"  drf: {name} page (page={page}), one client")
        script = get_script(
            work,
            f"drf-{name}-page",
            path=f"/api/balance/out/?{urllib.parse.urlencode(query)}",
            headers={},
        )
        results.append(
            measure(base_url, script, connections=1, sizes=sizes, log_path=work / "drf.log",
                    read=True, server=server)
        )  # fmt: skip
    return results[0], results[1]
