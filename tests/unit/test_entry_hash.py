"""An entry's hash is stored and checked again by `verify` for as long as the ledger lives, so
its formula must never move: these digests were made by the formula before its time text was
remembered per batch (`chain._timestamp`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from tallybook.ledger.chain import entry_hash

TRANSFER = UUID("01a24f63-7d94-7542-a58a-d34a3555d4e6")
ACCOUNT = UUID("01a24f63-7d89-7c26-b533-24ba4cd901bd")
AT = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)


def _hash(previous_hash: str | None, created_at: datetime) -> str:
    return entry_hash(
        previous_hash,
        transfer_id=TRANSFER,
        account_id=ACCOUNT,
        currency="USD",
        amount=-1250,
        balance_before=5000,
        balance_after=3750,
        sequence=3,
        created_at=created_at,
    )


def test_an_accounts_first_entry_hashes_as_it_always_has() -> None:
    assert _hash(None, AT) == "1d8d21d59e8e7556ed7c147000408875fc6e8182701b3757f51552fa55733da9"


def test_the_same_moment_in_another_zone_hashes_as_its_utc_time_right_after_it() -> None:
    in_singapore = AT.astimezone(timezone(timedelta(hours=8)))
    _hash(None, AT)  # the UTC moment's text is remembered first

    assert _hash("ab" * 32, in_singapore) == (
        "1bfd5bc7ead91811c551e1338c9c0df7b935aae77006fefa238e417314fa33e3"
    )
