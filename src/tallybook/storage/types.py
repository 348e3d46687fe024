"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# SQLite makes only an `INTEGER PRIMARY KEY` column an alias of its rowid (autoincrementing);
# PostgreSQL gets a real 64-bit identity.
BigIntegerPrimaryKey = BigInteger().with_variant(Integer(), "sqlite")

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back as an aware UTC datetime.

    Why: SQLite keeps no zone, PostgreSQL converts to the session zone; the entry hash chain
    needs the exact same value back on both, so the zone is normalised at the boundary.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Called for every timestamp read, so the usual case (PostgreSQL in the session zone
        'UTC' that Database sets) returns first."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        zone = value.tzinfo
        if zone is UTC:
            return value
        return value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)
