"""The server's background runner releases holds whose timeout has passed and writes
`expired` on top-ups past their expiry; withdrawal holds, which have no timeout, it leaves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from uuid import UUID

from fastapi.testclient import TestClient

from tallybook.api.expiry import expire_forever
from tallybook.ledger import Ledger
from tallybook.wallet import topups
from tallybook.wallet_model import TopUpStatus
from tests.api.conftest import Keys
from tests.api.helpers import available, create_account, transfer
from tests.support import ManualClock


def run_until(ledger: Ledger, done: Callable[[], bool]) -> None:
    """Run the expirer every 10 ms until `done()` (or two seconds)."""

    async def run_briefly() -> None:
        runner = asyncio.create_task(expire_forever(ledger, interval_seconds=0.01))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if done():
                break
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner

    asyncio.run(run_briefly())


def test_an_expired_hold_is_released_by_the_runner(
    client: TestClient, keys: Keys, ledger: Ledger, clock: ManualClock
) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "10.00")
    hold = transfer(
        client,
        keys.write,
        alice,
        "@world",
        "4.00",
        type="withdrawal",
        pending=True,
        timeout_seconds=60,
    )
    clock.advance(61)
    hold_id = UUID(hold["id"])

    run_until(
        ledger, lambda: ledger.get_transfer(keys.tenant.id, hold_id).status.value == "expired"
    )

    assert (
        client.get(f"/v1/transfers/{hold['id']}", headers=keys.read).json()["status"] == "expired"
    )
    assert available(client, keys.read, alice) == "10.00"


def test_the_runner_expires_top_ups_and_leaves_withdrawal_holds(
    client: TestClient, keys: Keys, ledger: Ledger, clock: ManualClock
) -> None:
    alice = create_account(client, keys.write, "alice", payout_profile={"alipay": "a@x"})
    transfer(client, keys.write, "@world", alice, "10.00")
    topup = client.post(
        "/v1/topups",
        json={"account_id": alice, "amount": "5", "currency": "CNY", "channel": "wechat"},
        headers=keys.write,
    ).json()
    withdrawal = client.post(
        "/v1/withdrawals",
        json={"account_id": alice, "amount": "4", "currency": "CNY"},
        headers=keys.write,
    ).json()
    clock.advance(31 * 24 * 3600)
    topup_id = UUID(topup["id"])

    run_until(
        ledger,
        lambda: topups.get(ledger, keys.tenant.id, topup_id).status is TopUpStatus.EXPIRED,
    )

    assert topups.get(ledger, keys.tenant.id, topup_id).status is TopUpStatus.EXPIRED
    hold = client.get(f"/v1/transfers/{withdrawal['payout_hold_id']}", headers=keys.read)
    assert hold.json()["status"] == "pending"
    assert available(client, keys.read, alice) == "6.00"
