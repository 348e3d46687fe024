"""Where balance history lives: `entries` (live) and `entries_archive` (moved there by age).

Every history read goes through this module's choice of tables, so lists, exports, balances
as of a moment, summaries and `verify` see live and archived rows as one history, and the
"archived only" / "live only" filters are one switch.
"""

from __future__ import annotations

from sqlalchemy import Table

from tallybook.ledger.queries import HistorySource
from tallybook.storage.tables import entries, entries_archive


def history_tables(source: HistorySource = HistorySource.ALL) -> tuple[Table, ...]:
    """The tables holding the rows of `source`, newest rows' table first."""
    if source is HistorySource.LIVE:
        return (entries,)
    if source is HistorySource.ARCHIVED:
        return (entries_archive,)
    return (entries, entries_archive)
