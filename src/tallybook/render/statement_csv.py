"""A statement as CSV: per currency an opening row, one row per entry, a closing row, so a
spreadsheet can check that the opening plus the amounts is the closing."""

from __future__ import annotations

from tallybook.ledger.money import format_minor_units
from tallybook.ledger.statements import Statement
from tallybook.render.entry_records import csv_row
from tallybook.render.labels import local_time, reference_of

STATEMENT_COLUMNS = (
    "currency", "row", "local_time", "created_at", "entry_id", "type", "reference", "note",
    "amount", "balance",
)  # fmt: skip


def render_statement_csv(statement: Statement) -> str:
    zone = statement.tenant.time_zone
    lines = [csv_row(list(STATEMENT_COLUMNS))]
    for section in statement.sections:

        def money(minor: int, decimals: int = section.decimals) -> str:
            return format_minor_units(minor, decimals)

        start, end = statement.period.start, statement.period.end
        lines.append(
            csv_row([section.currency, "opening", local_time(start, zone), start.isoformat(),
                     "", "", "", "", "", money(section.opening)])
        )  # fmt: skip
        for line in section.lines:
            entry = line.entry
            lines.append(
                csv_row(
                    [
                        section.currency,
                        "entry",
                        local_time(entry.created_at, zone),
                        entry.created_at.isoformat(),
                        entry.id,
                        line.type.value,
                        reference_of(line),
                        line.references.note or "",
                        money(entry.amount),
                        money(entry.balance_after),
                    ]
                )
            )
        lines.append(
            csv_row([section.currency, "closing", local_time(end, zone), end.isoformat(),
                     "", "", "", "", "", money(section.closing)])
        )  # fmt: skip
    return "".join(lines)
