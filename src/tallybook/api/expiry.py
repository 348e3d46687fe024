"""A background task of the server: release holds whose timeout has passed, and mark
top-ups expired once their expiry has passed.

Both also count as expired the moment their time passes (the core refuses to post such a hold,
a top-up past its expiry refuses confirmation and reads as `expired`), but a hold's amount stays
`held`, and a top-up's row says `pending`, until this runner writes the expiry — through the
engine like every other write. Several servers may run it at once: a hold resolves once (unique
`pending_id`), and a top-up changes state once (its row is locked by the step that expires it).

Withdrawal holds have no timeout: this runner never touches them; a withdrawal waits for its
review.
"""

from __future__ import annotations

import asyncio
import logging

from tallybook.api.engine_waits import engine_waiter
from tallybook.ledger import Ledger
from tallybook.ledger.commands import ExpireDueHolds
from tallybook.ledger.errors import LedgerError
from tallybook.wallet import topups

log = logging.getLogger(__name__)


async def expire_forever(ledger: Ledger, interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await expire_due(ledger)
        except LedgerError:
            log.exception(
                "expiring holds and top-ups failed; trying again in %s s", interval_seconds
            )


async def expire_due(ledger: Ledger) -> None:
    """Everything due now, in rounds of the commands' limits."""
    while True:
        # Not wrap_future: the task is cancelled at shutdown, which must not cancel the command.
        result = await engine_waiter(ledger.submit(ExpireDueHolds()))
        if len(result.transfers) < ExpireDueHolds().limit:
            break
    while await asyncio.to_thread(topups.expire_due, ledger) >= topups.EXPIRE_BATCH_LIMIT:
        pass
