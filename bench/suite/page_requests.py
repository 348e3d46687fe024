"""A number of identical GET requests through Tallybook's ASGI app in this process: what
`compare_reads.py` counts the instructions of (under valgrind), so that a change's cost can
be told apart from the machine's drifting speed.

    python bench/suite/page_requests.py DATABASE_URL PATH API_KEY COUNT

The app is the one `tallybook serve` runs (lifespan, middleware, routing, the threadpool hop);
only uvicorn's HTTP parsing is left out. Every request must answer 200.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from tallybook.api.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for `suite`
from suite.instructions import counted_app_settings


async def send(database_url: str, path: str, api_key: str, count: int) -> None:
    app = create_app(counted_app_settings(database_url))
    headers = {"Authorization": f"Bearer {api_key}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tallybook") as client:
            # one request outside the count: the first reads the key, warms every cache
            for _ in range(count + 1):
                answer = await client.get(path, headers=headers)
                if answer.status_code != 200:
                    sys.exit(f"{path} answered {answer.status_code}: {answer.text[:500]}")


if __name__ == "__main__":
    database_url, path, api_key, count = sys.argv[1:]
    asyncio.run(send(database_url, path, api_key, int(count)))
