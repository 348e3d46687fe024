"""Archiving moves old entries to archive storage and changes nothing anyone can see:
verify stays clean, lists, balances as of any moment, summaries and statements are the same,
and only the "archived" / "live" filters tell the two apart. The move is the only way out of
`entries`: the database refuses any other delete, and archived rows cannot change."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import DBAPIError

from tallybook.ledger import CreateTransfer, Ledger
from tallybook.ledger.archive import cutoff_for
from tallybook.ledger.errors import ValidationError
from tallybook.ledger.periods import Granularity
from tallybook.ledger.queries import EntryQuery, HistoryPosition, HistorySource, Window
from tallybook.ledger.summaries import SummaryQuery
from tallybook.model import SystemAccount, TransferType
from tallybook.storage.tables import tenants
from tests.support import ManualClock

EVERYTHING: Window[HistoryPosition] = Window(limit=1000, newest_first=False)


def a_year_of_history(ledger: Ledger, clock: ManualClock) -> tuple[UUID, UUID, UUID]:
    """A tenant with a customer and a sub-account, one top-up and payment a month in 2025."""
    clock.current = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
    tenant = ledger.create_tenant("Archiving shop")
    ledger.configure_currency(tenant.id, "CNY")
    world = ledger.system_account(tenant.id, SystemAccount.WORLD, "CNY").id
    revenue = ledger.system_account(tenant.id, SystemAccount.REVENUE, "CNY").id
    alice = ledger.create_account(tenant.id, "alice", "Alice").id
    team = ledger.create_account(tenant.id, "alice-team", "Team", parent_id=alice).id
    for month in range(12):
        clock.current = datetime(2025, month + 1, 10, 8, 0, tzinfo=UTC)
        for debit, credit, amount, type_ in (
            (world, alice, "100.00", TransferType.TOPUP),
            (alice, team, "10.00", TransferType.ALLOCATION),
            (team, revenue, f"{month + 1}.00", TransferType.ORDER_PAYMENT),
        ):
            ledger.execute(CreateTransfer(tenant.id, debit, credit, Decimal(amount), "CNY", type_))
    clock.current = datetime(2026, 1, 20, tzinfo=UTC)
    return tenant.id, alice, team


def everything_visible(ledger: Ledger, tenant_id: UUID, alice: UUID) -> dict[str, object]:
    """What a user can read about the tenant's history, to compare before and after."""
    every = ledger.list_entries(EntryQuery(tenant_id=tenant_id), EVERYTHING)
    newest = ledger.list_entries(
        EntryQuery(tenant_id=tenant_id, account_ids=frozenset({alice})),
        Window(limit=5, newest_first=True),
    )
    moments = [datetime(2025, month, 10, 8, 0, tzinfo=UTC) for month in range(1, 13)]
    as_of = [
        ledger.balances_as_of(tenant_id, alice, moment + offset, with_sub_accounts=tree)
        for moment in moments
        for offset in (-timedelta(microseconds=1), timedelta(0))
        for tree in (False, True)
    ]
    summary = ledger.summary(
        SummaryQuery(tenant_id, frozenset({alice}), Granularity.MONTH, date(2025, 1, 1),
                     date(2025, 12, 31), by_type=True)
    )  # fmt: skip
    statement = ledger.statement(tenant_id, alice, date(2025, 5, 1), date(2025, 8, 31))
    return {
        "entries": [(line.entry, line.type, line.references) for line in every.items],
        "newest": [line.entry.id for line in newest.items],
        "as_of": as_of,
        "summary": summary,
        "statement": [
            (s.opening, [line.entry for line in s.lines], s.closing) for s in statement.sections
        ],
        "count": ledger.count_entries(
            EntryQuery(tenant_id=tenant_id, account_ids=frozenset({alice}))
        ),
        "balances": ledger.balances(tenant_id, alice),
        "account_entries": ledger.entries(tenant_id, alice),
    }


def test_archiving_changes_nothing_a_reader_sees_and_verify_stays_clean(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant_id, alice, _team = a_year_of_history(ledger, clock)
    before = everything_visible(ledger, tenant_id, alice)

    report = ledger.archive(tenant_id, older_than_months=6)  # before 2025-07-01

    assert report.cutoff == datetime(2025, 7, 1, tzinfo=UTC)
    assert report.moved == 6 * 3 * 2
    assert everything_visible(ledger, tenant_id, alice) == before
    verified = ledger.verify()
    assert verified.ok, verified.render()
    assert verified.counts["archived_entries"] == report.moved


def test_archived_and_live_filters_split_the_history_at_the_cutoff(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant_id, _alice, _team = a_year_of_history(ledger, clock)
    ledger.archive(tenant_id, older_than_months=6)

    def stamps(source: HistorySource) -> list[datetime]:
        query = EntryQuery(tenant_id=tenant_id, source=source)
        return [line.entry.created_at for line in ledger.list_entries(query, EVERYTHING).items]

    archived, live = stamps(HistorySource.ARCHIVED), stamps(HistorySource.LIVE)
    cutoff = datetime(2025, 7, 1, tzinfo=UTC)
    assert len(archived) == 36 and all(stamp < cutoff for stamp in archived)
    assert len(live) == 36 and all(stamp >= cutoff for stamp in live)
    assert stamps(HistorySource.ALL) == archived + live
    assert (
        ledger.count_entries(EntryQuery(tenant_id=tenant_id, source=HistorySource.ARCHIVED)) == 36
    )


def test_a_second_run_moves_only_what_aged_since(ledger: Ledger, clock: ManualClock) -> None:
    tenant_id, _alice, _team = a_year_of_history(ledger, clock)
    ledger.set_archive_after_months(tenant_id, 12)  # on 2026-01-20: before 2025-01-01
    assert ledger.archive(tenant_id).moved == 0

    clock.current = datetime(2026, 3, 2, tzinfo=UTC)  # now before 2025-03-01
    moved = ledger.archive(tenant_id).moved
    again = ledger.archive(tenant_id).moved

    assert (moved, again) == (2 * 3 * 2, 0)
    assert ledger.verify().ok
    assert [tenant.id for tenant in ledger.archiving_tenants()] == [tenant_id]


def test_new_entries_after_archiving_continue_the_chains(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant_id, alice, team = a_year_of_history(ledger, clock)
    ledger.archive(tenant_id, older_than_months=1)  # everything

    ledger.execute(
        CreateTransfer(tenant_id, alice, team, Decimal("1.00"), "CNY", TransferType.ALLOCATION)
    )

    assert ledger.verify().ok
    (latest,) = ledger.list_entries(
        EntryQuery(tenant_id=tenant_id, account_ids=frozenset({alice})),
        Window(limit=1, newest_first=True),
    ).items
    assert (latest.entry.sequence, latest.entry.balance_after) == (25, 1080_00 - 1_00)


def walked(ledger: Ledger, query: EntryQuery, limit: int, newest_first: bool) -> list[int]:
    """Entry ids of every page of `query`, following each page's position to the next."""
    seen: list[int] = []
    after: HistoryPosition | None = None
    while True:
        page = ledger.list_entries(query, Window(limit, after, newest_first))
        seen.extend(line.entry.id for line in page.items)
        if page.next_key is None:
            return seen
        after = page.next_key


def in_history_order(ledger: Ledger, query: EntryQuery) -> list[int]:
    """Entry ids of `query` in both tables, each read on its own, in (created_at, id) order."""
    lines = [
        line
        for source in (HistorySource.LIVE, HistorySource.ARCHIVED)
        for line in ledger.list_entries(dataclasses.replace(query, source=source), EVERYTHING).items
    ]
    return [
        line.entry.id
        for line in sorted(lines, key=lambda line: (line.entry.created_at, line.entry.id))
    ]


def test_pages_walk_across_the_archive_boundary_as_one_history(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant_id, alice, _team = a_year_of_history(ledger, clock)
    ledger.archive(tenant_id, older_than_months=6)  # 36 archived, 36 live
    expected = in_history_order(ledger, EntryQuery(tenant_id))

    for query in (EntryQuery(tenant_id), EntryQuery(tenant_id, account_ids=frozenset({alice}))):
        wanted = in_history_order(ledger, query)
        for limit in (1, 5, 7, 12, 36, 37, 100):
            assert walked(ledger, query, limit, newest_first=False) == wanted, limit
            assert walked(ledger, query, limit, newest_first=True) == wanted[::-1], limit
    assert len(expected) == 72


def test_an_entry_stamped_before_archived_ones_still_reads_in_its_place(
    ledger: Ledger, clock: ManualClock
) -> None:
    """The archive is read by its tenant's bound, not by trusting that every live entry is
    newer than every archived one: a chain's first entry takes the clock as it is, and a
    clock set back stamps it before entries already archived."""
    tenant_id, alice, _team = a_year_of_history(ledger, clock)
    ledger.archive(tenant_id, older_than_months=1)  # January to November
    ledger.configure_currency(tenant_id, "USD")  # chains with no entries yet
    world = ledger.system_account(tenant_id, SystemAccount.WORLD, "USD").id
    clock.current = datetime(2025, 3, 15, tzinfo=UTC)
    ledger.execute(
        CreateTransfer(tenant_id, world, alice, Decimal("1.00"), "USD", TransferType.TOPUP)
    )
    expected = in_history_order(ledger, EntryQuery(tenant_id))

    march = [line.entry.created_at for line in ledger.list_entries(
        EntryQuery(tenant_id, currency="USD"), EVERYTHING).items]  # fmt: skip
    assert march == [datetime(2025, 3, 15, tzinfo=UTC)] * 2
    for limit in (1, 4, 73, 74):
        assert walked(ledger, EntryQuery(tenant_id), limit, newest_first=False) == expected
        assert walked(ledger, EntryQuery(tenant_id), limit, newest_first=True) == expected[::-1]


def test_the_tenant_records_the_newest_archived_moment(ledger: Ledger, clock: ManualClock) -> None:
    tenant_id, _alice, _team = a_year_of_history(ledger, clock)
    assert archived_through(ledger, tenant_id) is None

    ledger.archive(tenant_id, older_than_months=6)
    first = archived_through(ledger, tenant_id)
    ledger.archive(tenant_id, older_than_months=6)  # moves nothing, lowers nothing

    assert first == archived_through(ledger, tenant_id) == datetime(2025, 6, 10, 8, tzinfo=UTC)


def test_verify_reports_an_archive_past_its_recorded_bound(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant_id, _alice, _team = a_year_of_history(ledger, clock)
    ledger.archive(tenant_id, older_than_months=6)
    with ledger.database.write() as connection:
        connection.execute(
            update(tenants)
            .where(tenants.c.id == tenant_id)
            .values(archived_through=datetime(2025, 5, 1, tzinfo=UTC))
        )

    report = ledger.verify()

    assert not report.ok
    assert report.problems == [
        f"tenant {tenant_id}: archived entries reach 2025-06-10T08:00:00+00:00, "
        "its archived_through says 2025-05-01 00:00:00+00:00"
    ]


def test_a_page_the_live_rows_fill_reads_nothing_from_the_archive(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant_id, _alice, _team = a_year_of_history(ledger, clock)
    ledger.archive(tenant_id, older_than_months=6)
    newest_first: Window[HistoryPosition] = Window(limit=5, newest_first=True)

    with statements_run(ledger) as run:
        newest = ledger.list_entries(EntryQuery(tenant_id), newest_first)
    with statements_run(ledger) as run_to_the_end:
        walked(ledger, EntryQuery(tenant_id), 5, newest_first=True)

    assert len(newest.items) == 5
    assert not any("entries_archive" in statement for statement in run)
    assert any("entries_archive" in statement for statement in run_to_the_end)


def archived_through(ledger: Ledger, tenant_id: UUID) -> datetime | None:
    with ledger.database.read() as connection:
        query = select(tenants.c.archived_through).where(tenants.c.id == tenant_id)
        return connection.execute(query).scalar_one()  # type: ignore[no-any-return]


@contextmanager
def statements_run(ledger: Ledger) -> Iterator[list[str]]:
    """The SQL of every statement the ledger's engine runs inside the block."""
    run: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        run.append(statement)

    event.listen(ledger.database.engine, "before_cursor_execute", note)
    try:
        yield run
    finally:
        event.remove(ledger.database.engine, "before_cursor_execute", note)


def test_the_database_lets_a_row_out_of_entries_only_once_it_is_archived(
    ledger: Ledger, clock: ManualClock
) -> None:
    tenant_id, _alice, _team = a_year_of_history(ledger, clock)
    ledger.archive(tenant_id, older_than_months=6)
    statements = [
        "DELETE FROM entries",  # live rows have no archived copy
        "DELETE FROM entries_archive",
        "UPDATE entries_archive SET amount = amount + 1",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), ledger.database.write() as connection:
            connection.execute(text(statement))
    assert ledger.verify().ok


def test_the_archive_setting_is_checked(ledger: Ledger, clock: ManualClock) -> None:
    tenant_id, _alice, _team = a_year_of_history(ledger, clock)

    with pytest.raises(ValidationError) as no_setting:
        ledger.archive(tenant_id)
    with pytest.raises(ValidationError) as zero:
        ledger.set_archive_after_months(tenant_id, 0)

    assert no_setting.value.field == zero.value.field == "archive_after_months"


def test_the_cutoff_is_a_whole_month_boundary() -> None:
    assert cutoff_for(datetime(2026, 11, 23, 17, 5, tzinfo=UTC), 12) == datetime(
        2025, 11, 1, tzinfo=UTC
    )
    assert cutoff_for(datetime(2026, 1, 1, tzinfo=UTC), 1) == datetime(2025, 12, 1, tzinfo=UTC)
