"""The engine's batch write on PostgreSQL is one statement made of the parts the batch has
rows for: PostgreSQL plans every part of a statement, empty or not."""

from __future__ import annotations

from tallybook.storage.posting_repository import batch_write

TRANSFER = {"id": "7f0c9a1e-0000-4000-8000-000000000001"}
ENTRY = {"transfer_id": TRANSFER["id"]}
BALANCE = {"account_id": "7f0c9a1e-0000-4000-8000-000000000002", "currency": "CNY"}


def test_a_batch_with_nothing_to_write_sends_no_statement() -> None:
    assert batch_write([], [], [], [], []) is None


def test_a_batch_of_new_transfers_writes_transfers_entries_and_changed_balances_only() -> None:
    write = batch_write([TRANSFER], [], [ENTRY, ENTRY], [], [BALANCE, BALANCE])

    assert write is not None
    assert write.sql.startswith("WITH part_0 AS (INSERT INTO transfers ")
    assert ", part_1 AS (INSERT INTO entries " in write.sql
    assert ") UPDATE balances SET " in write.sql
    assert "UPDATE transfers" not in write.sql
    assert "INSERT INTO balances" not in write.sql
    assert write.sql.count("%s") == len(write.parameters)
    assert write.parameters[-1] == 2  # the UPDATE joins through LIMIT its two rows


def test_every_part_in_order_when_a_batch_has_rows_for_each() -> None:
    resolution = {"id": TRANSFER["id"], "status": "posted"}
    write = batch_write([TRANSFER], [resolution], [ENTRY], [BALANCE], [BALANCE])

    assert write is not None
    order = [
        write.sql.index("INSERT INTO transfers"),
        write.sql.index("UPDATE transfers"),
        write.sql.index("INSERT INTO entries"),
        write.sql.index("INSERT INTO balances"),
        write.sql.index("UPDATE balances"),
    ]
    assert order == sorted(order)
    assert write.sql.count("%s") == len(write.parameters) == 7


def test_one_part_alone_is_the_statement_itself() -> None:
    write = batch_write([], [], [], [], [BALANCE])

    assert write is not None
    assert write.sql.startswith("UPDATE balances SET ")
    assert write.parameters[1] == 1
