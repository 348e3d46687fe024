"""Async handlers wait for the posting engine through `engine_waiter`: every waiter gets its
own command's outcome, and one that gives up (its request cancelled) changes nothing."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tallybook.api.engine_waits import engine_waiter
from tallybook.ledger import CreateTransfer, Ledger, errors
from tallybook.model import SystemAccount, TransferType

WAIT_SECONDS = 30


def _setup(ledger: Ledger) -> tuple[CreateTransfer, CreateTransfer]:
    """A top-up of 1.00 CNY into a new account, and a payment of 5.00 out of it."""
    tenant = ledger.create_tenant("Platform")
    ledger.configure_currency(tenant.id, "CNY")
    world = ledger.system_account(tenant.id, SystemAccount.WORLD, "CNY").id
    alice = ledger.create_account(tenant.id, "alice", "Alice").id
    top_up = CreateTransfer(tenant.id, world, alice, Decimal("1.00"), "CNY", TransferType.TOPUP)
    too_much = CreateTransfer(
        tenant.id, alice, world, Decimal("5.00"), "CNY", TransferType.WITHDRAWAL
    )
    return top_up, too_much


def test_every_waiter_gets_its_own_outcome(ledger: Ledger) -> None:
    top_up, too_much = _setup(ledger)

    async def scenario() -> list[object]:
        commands = [top_up, top_up, too_much, top_up]
        waiters = [engine_waiter(ledger.submit(command)) for command in commands]
        return await asyncio.wait_for(
            asyncio.gather(*waiters, return_exceptions=True), WAIT_SECONDS
        )

    outcomes = asyncio.run(scenario())

    assert isinstance(outcomes[2], errors.InsufficientFunds)
    for outcome in (outcomes[0], outcomes[1], outcomes[3]):
        assert not isinstance(outcome, BaseException)


def test_a_waiter_that_gives_up_leaves_its_command_and_the_engine_alone(ledger: Ledger) -> None:
    top_up, _ = _setup(ledger)

    async def scenario() -> None:
        waiters = [engine_waiter(ledger.submit(top_up)) for _ in range(20)]
        for waiter in waiters[:10]:
            waiter.cancel()  # as a request's task is cancelled, at shutdown for instance
        await asyncio.wait_for(asyncio.gather(*waiters[10:]), WAIT_SECONDS)
        with pytest.raises(asyncio.CancelledError):
            await waiters[0]

    asyncio.run(scenario())

    ledger.submit(top_up).result(timeout=WAIT_SECONDS)  # the engine still answers
    alice = top_up.credit_account_id
    assert ledger.balance(top_up.tenant_id, alice, "CNY").posted == 21 * 100
