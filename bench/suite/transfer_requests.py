"""W2's requests through Tallybook's ASGI app in this process, in rounds of concurrent ones:
what `compare_writes.py --instructions` counts the instructions of (under valgrind), so that
a change's cost in Python can be told apart from the machine's drifting speed.

    python bench/suite/transfer_requests.py DATABASE_URL API_KEY HOT_ACCOUNT ACCOUNTS_FILE ROUNDS

Each round sends `ROUND_REQUESTS` transfers at once, each with its own idempotency key, from
the hot account to a customer (as W2's wrk script does), and waits for all of them: the
engine takes the first alone (it was idle) and gathers the rest into one batch, as under
load, closed as soon as they are all in (its largest batch is set to their number).
The app is the one `tallybook serve` runs, engine thread included; only uvicorn's HTTP
parsing is left out. Every request must answer 201. It reports (`report: ` on standard
error) the batches the engine committed, so two versions can be seen to have batched alike.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import httpx

from tallybook.api.app import create_app
from tallybook.ledger import Ledger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for `suite`
from suite.config import ROUND_REQUESTS
from suite.instructions import counted_app_settings
from suite.tallybook_writes import TRANSFER_TEMPLATE  # W2's own body

# Long enough that a busy engine gathers the rest of a round under valgrind, which runs
# threads one at a time and about fifty times slower: the batch closes as soon as the round
# is in, and with 0.2 s a faster engine came back for it before the round was, and split it.
GATHER_WINDOW_SECONDS = 5.0


async def send(
    database_url: str, api_key: str, hot_account: str, customers: list[str], rounds: int
) -> None:
    settings = counted_app_settings(database_url).model_copy(
        update={
            "engine_max_batch_commands": ROUND_REQUESTS - 1,
            "engine_max_batch_wait_seconds": GATHER_WINDOW_SECONDS,
        }
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    run = uuid.uuid4().hex

    async def transfer(client: httpx.AsyncClient, number: int) -> None:
        customer = customers[number % len(customers)]
        answer = await client.post(
            "/v1/transfers",
            content=TRANSFER_TEMPLATE % (hot_account, customer),
            headers=headers | {"Idempotency-Key": f"count-{run}-{number}"},
        )
        if answer.status_code != 201:
            sys.exit(f"a transfer answered {answer.status_code}: {answer.text[:500]}")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tallybook") as client:
            await transfer(client, 0)  # outside the rounds: reads the key, warms every cache
            for number in range(rounds):
                first = 1 + number * ROUND_REQUESTS
                await asyncio.gather(*(transfer(client, first + n) for n in range(ROUND_REQUESTS)))
        ledger: Ledger = app.state.ledger
        print(f"report: {ledger.engine.statistics.batches} batches", file=sys.stderr)


if __name__ == "__main__":
    database_url, api_key, hot_account, accounts_file, rounds = sys.argv[1:]
    customers = Path(accounts_file).read_text(encoding="utf-8").split()
    asyncio.run(send(database_url, api_key, hot_account, customers, int(rounds)))
