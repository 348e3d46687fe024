"""`verify`: recompute the ledger from its history and compare with what is stored.

Checks, naming the first bad row of each kind, over live and archived entries alike (an
archived row is the same row, so its chain continues into the live table unbroken):
1. every chain (account and currency): sequence 1, 2, 3…; each entry's balance before is the
   previous balance after (0 for the first); after = before + amount; the hash matches the
   previous hash and the entry's content;
2. every balance: posted equals its chain's last balance after, and its head pointers match;
3. every transfer: a posted movement has exactly two entries, -amount on the debit account
   and +amount on the credit account; nothing else has entries;
4. every tenant's balances sum to exactly zero per currency (double entry);
5. every balance's held amount equals the sum of its open holds;
6. no customer account's available balance is below zero;
7. no tenant's archive holds an entry stamped after its `archived_through`, the bound history
   pages read the archive by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from tallybook.ledger.chain import entry_hash
from tallybook.model import AccountKind
from tallybook.storage import audit_repository

MAX_PROBLEMS_LISTED = 50


@dataclass
class VerifyReport:
    counts: dict[str, int] = field(default_factory=dict)
    chains: int = 0
    problems: list[str] = field(default_factory=list)
    problems_total: int = 0

    @property
    def ok(self) -> bool:
        return self.problems_total == 0

    def problem(self, text: str) -> None:
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append(text)

    def render(self) -> str:
        lines = [
            "tallybook verify: " + ("clean" if self.ok else f"{self.problems_total} problem(s)"),
            "  " + ", ".join(f"{name}: {value}" for name, value in self.counts.items()),
            f"  chains checked: {self.chains}",
        ]
        lines.extend(f"  - {problem}" for problem in self.problems)
        if self.problems_total > len(self.problems):
            lines.append(f"  … and {self.problems_total - len(self.problems)} more")
        return "\n".join(lines)


@dataclass
class _ChainHead:
    sequence: int = 0
    balance_after: int = 0
    hash: str | None = None


def verify(connection: Connection) -> VerifyReport:
    """Run every check over the whole database; read-only."""
    report = VerifyReport(counts=audit_repository.counts(connection))
    heads = _check_chains(connection, report)
    report.chains = len(heads)
    _check_balances(connection, report, heads)
    for row in audit_repository.unbalanced_transfers(connection, MAX_PROBLEMS_LISTED):
        report.problem(
            f"transfer {row.id}: its {row.entry_count} entries do not move exactly "
            f"{row.amount} from its debit account to its credit account"
        )
    _check_references(connection, report)
    for row in audit_repository.tenant_currency_sums(connection):
        if int(row.total) != 0:
            report.problem(
                f"tenant {row.tenant_id} {row.currency}: balances sum to {row.total}, not 0"
            )
    for row in audit_repository.archives_past_their_bound(connection):
        report.problem(
            f"tenant {row.id}: archived entries reach {row.newest.isoformat()}, "
            f"its archived_through says {row.archived_through}"
        )
    return report


def _check_references(connection: Connection, report: VerifyReport) -> None:
    """Every transfer's tenant and accounts, every entry's transfer: what foreign keys would
    check, which PostgreSQL does not for these rows (see `tables._posting_references`)."""
    for row in audit_repository.transfers_with_broken_references(connection, MAX_PROBLEMS_LISTED):
        broken = [
            name
            for name, holds in (
                ("its tenant does not exist", row.has_tenant),
                ("its debit account does not exist or is another tenant's", row.debit_ok),
                ("its credit account does not exist or is another tenant's", row.credit_ok),
            )
            if not holds
        ]
        report.problem(f"transfer {row.id}: {'; '.join(broken)}")
    for row in audit_repository.entries_with_broken_references(connection, MAX_PROBLEMS_LISTED):
        report.problem(
            f"entry {row.id}: its transfer {row.transfer_id} "
            + (
                "is another tenant's or moves neither its account"
                if row.has_transfer
                else "does not exist"
            )
        )


def _check_chains(
    connection: Connection, report: VerifyReport
) -> dict[tuple[UUID, str], _ChainHead]:
    heads: dict[tuple[UUID, str], _ChainHead] = {}
    key: tuple[UUID, str] | None = None
    head = _ChainHead()
    broken = False
    for entry in audit_repository.stream_entries_by_chain(connection):
        entry_key = (entry.account_id, entry.currency)
        if entry_key != key:
            key, head, broken = entry_key, _ChainHead(), False
            heads[entry_key] = head
        if broken:
            continue  # one problem per chain: everything after the first break follows from it
        problem = _entry_problem(entry, head)
        if problem:
            report.problem(
                f"entry {entry.id} (account {entry.account_id} {entry.currency}): {problem}"
            )
            broken = True
            continue
        head.sequence = entry.sequence
        head.balance_after = entry.balance_after
        head.hash = entry.hash
    return heads


def _entry_problem(entry: Any, head: _ChainHead) -> str | None:
    if entry.sequence != head.sequence + 1:
        return f"sequence {entry.sequence} follows {head.sequence}"
    if entry.balance_before != head.balance_after:
        return (
            f"balance before {entry.balance_before}, "
            f"but the previous balance after is {head.balance_after}"
        )
    if entry.balance_after != entry.balance_before + entry.amount:
        return f"balance after {entry.balance_after} is not {entry.balance_before} + {entry.amount}"
    expected = entry_hash(
        head.hash,
        transfer_id=entry.transfer_id,
        account_id=entry.account_id,
        currency=entry.currency,
        amount=entry.amount,
        balance_before=entry.balance_before,
        balance_after=entry.balance_after,
        sequence=entry.sequence,
        created_at=entry.created_at,
    )
    if entry.hash != expected:
        return "hash does not match its content and the previous hash (tampered?)"
    return None


def _check_balances(
    connection: Connection, report: VerifyReport, heads: dict[tuple[UUID, str], _ChainHead]
) -> None:
    held_by_holds = audit_repository.open_hold_sums(connection)
    for balance in audit_repository.all_balances(connection):
        key = (balance.account_id, balance.currency)
        head = heads.get(key, _ChainHead())
        name = f"balance of account {balance.account_id} {balance.currency}"
        if balance.posted != head.balance_after:
            report.problem(f"{name}: posted {balance.posted}, entries say {head.balance_after}")
        elif balance.last_sequence != head.sequence or balance.last_entry_hash != head.hash:
            report.problem(f"{name}: chain head pointers do not match the last entry")
        open_holds = held_by_holds.get(key, 0)
        if balance.held != open_holds:
            report.problem(f"{name}: held {balance.held}, open holds sum to {open_holds}")
        available = balance.posted - balance.held + balance.credit_limit
        if balance.kind == AccountKind.CUSTOMER.value and available < 0:
            report.problem(f"{name}: available balance {available} is below zero")
