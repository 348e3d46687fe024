"""API keys: shown once, stored as a hash, resolvable until revoked, scoped to a tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tallybook.auth.keys import issue_key, remembered_key, resolve_key, revoke_key
from tallybook.ledger import Ledger, errors
from tallybook.model import Role
from tallybook.settings import Settings
from tallybook.storage.database import Database
from tallybook.storage.tables import api_keys
from tests.support import Book, ManualClock, Stopwatch, open_book, remembering_for


def test_a_new_key_resolves_to_its_tenant_and_role(ledger: Ledger) -> None:
    book = open_book(ledger)

    record, secret = issue_key(ledger, book.tenant.id, "backend", Role.WRITE)

    assert secret.startswith("tb_") and len(secret) > 40
    resolved = resolve_key(ledger, secret)
    assert resolved == record
    assert resolved.tenant_id == book.tenant.id and resolved.role is Role.WRITE
    assert record.key_hint == secret[-4:]


def test_only_a_hash_of_the_key_is_stored(ledger: Ledger) -> None:
    book = open_book(ledger)
    _record, secret = issue_key(ledger, book.tenant.id, "backend", Role.READ)

    with ledger.database.read() as connection:
        stored = connection.execute(select(api_keys)).one()

    assert secret not in [str(value) for value in stored]
    assert stored.key_hash != secret


def test_unknown_and_malformed_keys_resolve_to_nothing(ledger: Ledger) -> None:
    open_book(ledger)

    assert resolve_key(ledger, "tb_" + "x" * 43) is None
    assert resolve_key(ledger, "not-a-key") is None


def test_a_revoked_key_stops_working(ledger: Ledger) -> None:
    book = open_book(ledger)
    record, secret = issue_key(ledger, book.tenant.id, "old", Role.ADMIN)
    assert resolve_key(ledger, secret) == record  # now remembered by this process

    revoked = revoke_key(ledger, book.tenant.id, record.id)

    assert revoked.revoked_at is not None
    assert resolve_key(ledger, secret) is None


def test_another_process_notices_a_revocation_only_when_its_cache_lets_it(
    any_database: Database, clock: ManualClock
) -> None:
    """The documented trade-off: a process that remembers keys for `api_key_cache_seconds`
    accepts a key revoked elsewhere until then; with the cache off it refuses it at once."""
    remembering = Ledger(any_database, clock=clock, settings=Settings(api_key_cache_seconds=300))
    uncached = Ledger(any_database, clock=clock, settings=Settings(api_key_cache_seconds=0))
    revoking = Ledger(any_database, clock=clock)
    book = open_book(revoking)
    record, secret = issue_key(revoking, book.tenant.id, "shared", Role.WRITE)
    assert resolve_key(remembering, secret) == record
    assert resolve_key(uncached, secret) == record

    revoke_key(revoking, book.tenant.id, record.id)

    assert resolve_key(remembering, secret) == record
    assert resolve_key(uncached, secret) is None


def test_another_tenant_cannot_revoke_a_key(ledger: Ledger) -> None:
    book = open_book(ledger)
    other = ledger.create_tenant("Other")
    record, secret = issue_key(ledger, book.tenant.id, "mine", Role.ADMIN)

    with pytest.raises(errors.NotFound):
        revoke_key(ledger, other.id, record.id)
    assert resolve_key(ledger, secret) is not None


def test_a_key_scoped_to_an_account_of_another_tenant_is_refused(ledger: Ledger) -> None:
    book = open_book(ledger)
    other = ledger.create_tenant("Other")

    with pytest.raises(errors.AccountNotFound):
        issue_key(ledger, other.id, "scoped", Role.READ, account_id=book.alice)
    with pytest.raises(errors.TenantNotFound):
        issue_key(ledger, uuid.uuid4(), "nobody", Role.READ)


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_a_key_name_must_be_1_to_200_characters(ledger: Ledger, name: str) -> None:
    book = open_book(ledger)

    with pytest.raises(errors.ValidationError) as refused:
        issue_key(ledger, book.tenant.id, name, Role.READ)
    assert refused.value.field == "name"


def test_roles_include_the_weaker_ones() -> None:
    assert Role.ADMIN.allows(Role.WRITE) and Role.ADMIN.allows(Role.READ)
    assert Role.WRITE.allows(Role.READ) and not Role.WRITE.allows(Role.ADMIN)
    assert not Role.READ.allows(Role.WRITE)


@dataclass(frozen=True)
class TwoProcesses:
    """One process remembering keys on a clock the test moves, another issuing and revoking
    them in the tenant `book`."""

    remembering: Ledger
    stopwatch: Stopwatch
    revoking: Ledger
    book: Book


def two_processes(database: Database, clock: ManualClock, ttl_seconds: float) -> TwoProcesses:
    remembering = Ledger(database, clock=clock)
    stopwatch = remembering_for(remembering, ttl_seconds)
    revoking = Ledger(database, clock=clock)
    return TwoProcesses(remembering, stopwatch, revoking, open_book(revoking))


def test_a_key_revoked_elsewhere_is_refused_at_this_processs_next_refresh(
    any_database: Database, clock: ManualClock
) -> None:
    processes = two_processes(any_database, clock, 300)
    tenant_id = processes.book.tenant.id
    record, secret = issue_key(processes.revoking, tenant_id, "shared", Role.WRITE)
    assert resolve_key(processes.remembering, secret) == record
    revoke_key(processes.revoking, tenant_id, record.id)

    processes.stopwatch.seconds += 149
    assert resolve_key(processes.remembering, secret) == record  # not due yet
    processes.stopwatch.seconds += 1

    assert resolve_key(processes.remembering, secret) is None  # this caller refreshed it
    assert resolve_key(processes.remembering, secret) is None


def test_async_callers_hand_one_refresh_off_and_keep_the_remembered_key_meanwhile(
    ledger: Ledger,
) -> None:
    stopwatch = remembering_for(ledger, 10)
    book = open_book(ledger)
    record, secret = issue_key(ledger, book.tenant.id, "backend", Role.WRITE)
    assert resolve_key(ledger, secret) == record
    handed_off: list[Callable[[], object]] = []
    stopwatch.seconds += 5

    found = [remembered_key(ledger, secret, handed_off.append) for _ in range(3)]

    assert found == [record] * 3 and len(handed_off) == 1
    revoke_key(ledger, book.tenant.id, record.id)  # empties this process's cache too
    assert remembered_key(ledger, secret, handed_off.append) is None


def test_a_handed_off_refresh_renews_a_live_key_and_forgets_a_revoked_one(
    any_database: Database, clock: ManualClock
) -> None:
    processes = two_processes(any_database, clock, 10)
    remembering, tenant_id = processes.remembering, processes.book.tenant.id
    live, live_secret = issue_key(processes.revoking, tenant_id, "live", Role.WRITE)
    doomed, doomed_secret = issue_key(processes.revoking, tenant_id, "doomed", Role.WRITE)
    assert resolve_key(remembering, live_secret) == live
    assert resolve_key(remembering, doomed_secret) == doomed
    revoke_key(processes.revoking, tenant_id, doomed.id)
    handed_off: list[Callable[[], object]] = []
    processes.stopwatch.seconds += 9

    remembered_key(remembering, live_secret, handed_off.append)
    remembered_key(remembering, doomed_secret, handed_off.append)
    for refresh in handed_off:
        refresh()

    processes.stopwatch.seconds += 9  # past the first reads' time, within the refreshed one
    assert remembered_key(remembering, live_secret, handed_off.append) == live
    assert remembered_key(remembering, doomed_secret, handed_off.append) is None


def test_a_refresh_that_cannot_read_keeps_the_key_and_lets_the_next_caller_try(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopwatch = remembering_for(ledger, 10)
    book = open_book(ledger)
    record, secret = issue_key(ledger, book.tenant.id, "backend", Role.WRITE)
    assert resolve_key(ledger, secret) == record
    stopwatch.seconds += 5

    def database_down() -> object:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    with monkeypatch.context() as patched:
        patched.setattr(ledger.database, "read", database_down)
        assert resolve_key(ledger, secret) == record

    handed_off: list[Callable[[], object]] = []
    assert remembered_key(ledger, secret, handed_off.append) == record
    assert len(handed_off) == 1  # claimed again
