"""Account numbers: the small integer per tenant that the seed APIs show as an id."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import insert, select

from tallybook.ledger import Ledger, errors
from tallybook.model import SystemAccount
from tallybook.storage import migrate
from tallybook.storage.database import Database
from tallybook.storage.tables import accounts, tenants
from tests.support import ManualClock

CREATORS = 8
ACCOUNTS_PER_CREATOR = 5


def test_accounts_are_numbered_one_by_one_per_tenant(ledger: Ledger) -> None:
    shop, other = ledger.create_tenant("Shop"), ledger.create_tenant("Other")
    ledger.configure_currency(shop.id, "CNY")
    alice = ledger.create_account(shop.id, "alice", "Alice")
    world = ledger.system_account(shop.id, SystemAccount.WORLD, "CNY")
    sub = ledger.create_account(shop.id, "alice-1", "Alice's shop", parent_id=alice.id)
    elsewhere = ledger.create_account(other.id, "alice", "Alice elsewhere")

    assert [alice.number, world.number, sub.number] == [1, 2, 3]
    assert elsewhere.number == 1
    assert ledger.account_by_number(shop.id, 3) == sub
    assert ledger.account_by_number(other.id, 1) == elsewhere


def test_a_number_of_another_tenant_or_none_at_all_is_not_found(ledger: Ledger) -> None:
    shop, other = ledger.create_tenant("Shop"), ledger.create_tenant("Other")
    ledger.create_account(shop.id, "alice", "Alice")
    ledger.create_account(shop.id, "bob", "Bob")
    ledger.create_account(other.id, "carol", "Carol")
    with pytest.raises(errors.AccountNotFound):
        ledger.account_by_number(other.id, 2)
    with pytest.raises(errors.AccountNotFound):
        ledger.account_by_number(shop.id, 0)


@pytest.fixture
def ledgers(any_database: Database) -> Iterator[list[Ledger]]:
    """Two ledgers on one database, as two server processes would be."""
    started = [Ledger(Database(any_database.url)) for _ in range(2)]
    yield started
    for ledger in started:
        ledger.close()


def test_concurrent_creations_take_distinct_numbers(ledgers: list[Ledger]) -> None:
    tenant = ledgers[0].create_tenant("Busy")
    barrier = threading.Barrier(CREATORS)

    def create(creator: int) -> list[int]:
        ledger = ledgers[creator % len(ledgers)]
        barrier.wait()
        return [
            ledger.create_account(tenant.id, f"user-{creator}-{n}", f"User {creator}.{n}").number
            for n in range(ACCOUNTS_PER_CREATOR)
        ]

    with ThreadPoolExecutor(max_workers=CREATORS) as pool:
        numbers = [number for batch in pool.map(create, range(CREATORS)) for number in batch]
    assert sorted(numbers) == list(range(1, CREATORS * ACCOUNTS_PER_CREATOR + 1))


def test_the_migration_numbers_existing_accounts_in_creation_order(
    any_database: Database, clock: ManualClock
) -> None:
    migrate.downgrade(any_database, "0002")
    first_tenant, second_tenant = uuid7_like(1), uuid7_like(2)
    made = clock.now()
    # (tenant, account, seconds after `made`), inserted out of creation order
    before_numbers = [
        (first_tenant, uuid7_like(13), 30),
        (second_tenant, uuid7_like(21), 5),
        (first_tenant, uuid7_like(11), 10),
        (first_tenant, uuid7_like(12), 20),
    ]
    with any_database.engine.begin() as connection:
        for tenant in (first_tenant, second_tenant):
            connection.execute(
                insert(tenants).values(id=tenant, name="Old", time_zone="UTC", created_at=made)
            )
        for tenant, account_id, seconds in before_numbers:
            created = made + timedelta(seconds=seconds)
            connection.execute(
                insert(accounts).values(
                    id=account_id,
                    tenant_id=tenant,
                    external_id=str(account_id),
                    name="Old account",
                    status="active",
                    kind="customer",
                    metadata={},
                    tags=[],
                    payout_profile={},
                    created_at=created,
                    updated_at=created,
                )
            )
    migrate.upgrade(any_database)
    with any_database.engine.connect() as connection:
        numbered = dict(connection.execute(select(accounts.c.id, accounts.c.number)).tuples().all())
    assert numbered == {uuid7_like(11): 1, uuid7_like(12): 2, uuid7_like(13): 3, uuid7_like(21): 1}


def uuid7_like(serial: int) -> UUID:
    return UUID(f"0190b1d0-0000-7000-8000-{serial:012d}")
