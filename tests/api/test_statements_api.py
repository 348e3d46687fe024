"""Statements over HTTP as JSON, CSV and PDF; the PDF is rendered to PNG and its text read."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pypdfium2
from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.api.helpers import create_account, transfer
from tests.support import ManualClock

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


def a_busy_january(client: TestClient, keys: Keys, clock: ManualClock) -> str:
    clock.current = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    alice = create_account(client, keys.write, "alice-cn", name="陈爱丽 Alice Chen")
    transfer(client, keys.write, "@world", alice, "5000.00", channel="alipay")
    for day in range(60):
        clock.advance(11 * 3600)
        transfer(
            client, keys.write, alice, "@revenue", f"{day + 1}.25", type="order_payment",
            order_number=f"ORD-{day:04d}", note="书 books" if day % 7 == 0 else None,
        )  # fmt: skip
    return alice


def test_the_json_statement_adds_up(client: TestClient, keys: Keys, clock: ManualClock) -> None:
    alice = a_busy_january(client, keys, clock)

    answer = client.get(f"/v1/accounts/{alice}/statement", params=JANUARY, headers=keys.read)

    assert answer.status_code == 200, answer.text
    (section,) = answer.json()["sections"]
    cents = [round(float(e["amount"]) * 100) for e in section["entries"]]  # test arithmetic only
    assert section["opening"] == "0.00"
    assert len(section["entries"]) == 1 + 60
    assert round(float(section["closing"]) * 100) == sum(cents)
    assert section["closing"] == section["entries"][-1]["balance_after"]


def test_the_csv_statement_has_opening_entries_and_closing_rows(
    client: TestClient, keys: Keys, clock: ManualClock
) -> None:
    alice = a_busy_january(client, keys, clock)

    answer = client.get(
        f"/v1/accounts/{alice}/statement",
        params=JANUARY,
        headers={**keys.read, "Accept": "text/csv"},
    )

    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [rows[0]["row"], rows[-1]["row"]] == ["opening", "closing"]
    assert {row["row"] for row in rows[1:-1]} == {"entry"}
    assert rows[-1]["balance"] == rows[-2]["balance"]


def test_the_pdf_statement_renders_with_its_text(
    client: TestClient, keys: Keys, clock: ManualClock
) -> None:
    alice = a_busy_january(client, keys, clock)

    answer = client.get(
        f"/v1/accounts/{alice}/statement", params={**JANUARY, "format": "pdf"}, headers=keys.read
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    document = pypdfium2.PdfDocument(answer.content)
    assert len(document) == 2  # 61 entries after the header, totals and chart
    first_page = document[0].get_textpage().get_text_range()
    last_page = document[len(document) - 1].get_textpage().get_text_range()
    expected_text = (
        "Platform A", "Account statement", "2026-01-01 to 2026-01-31", "陈爱丽 Alice Chen",
        "Opening", "Closing", "5,000.00", "3,155.00", "ORD-0000", "Top-up", "书 books",
    )  # fmt: skip
    for expected in expected_text:
        assert expected in first_page, expected
    assert "Closing balance" in last_page and "Page 2" in last_page
    image = document[0].render(scale=1).to_pil()
    assert image.size == (596, 842)  # A4 at 72 dpi, rounded up
    assert len(image.getcolors(maxcolors=1 << 16) or []) > 10  # drawn, not blank


def test_a_format_the_statement_does_not_offer_is_refused(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")

    answer = client.get(
        f"/v1/accounts/{alice}/statement", params={**JANUARY, "format": "jsonl"}, headers=keys.read
    )

    assert answer.status_code == 422 and answer.json()["field"] == "format"
