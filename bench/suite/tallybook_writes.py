"""W1-W4 against Tallybook itself: single transfers per request on 10,000 uniform accounts
(W1) and on one hot account (W2), 1,000-transfer batches on the hot account (W3), and W2/W3
again on the embedded SQLite default in one process (W4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from suite.config import BATCH_TRANSFERS, CLIENTS, Sizes
from suite.cpu import CpuMeter
from suite.loadgen import LoadResult, post_loop, transfer_script
from suite.processes import say
from suite.servers import measure, tallybook_server
from suite.tallybook_setup import CURRENCY, WriteFixture

TRANSFER_TEMPLATE = (
    '{"debit_account_id": "%s", "credit_account_id": "%s", "amount": "0.01", '
    f'"currency": "{CURRENCY}", "type": "order_payment"}}'
)


@dataclass(frozen=True)
class WriteResults:
    uniform: LoadResult | None  # W1 (PostgreSQL only)
    hot: LoadResult
    batch: LoadResult  # requests of BATCH_TRANSFERS transfers each


def batch_body(fixture: WriteFixture, path: Path) -> Path:
    """One atomic batch: the hot account pays 1,000 customers 0.01 each."""
    members = [
        {
            "debit_account_id": str(fixture.hot_account),
            "credit_account_id": str(fixture.customers[n % len(fixture.customers)]),
            "amount": "0.01",
            "currency": CURRENCY,
            "type": "order_payment",
        }
        for n in range(BATCH_TRANSFERS)
    ]
    path.write_text(json.dumps({"transfers": members, "atomic": True}), encoding="utf-8")
    return path


def run_tallybook_writes(
    label: str,
    database_url: str,
    fixture: WriteFixture,
    *,
    workers: int,
    sizes: Sizes,
    work: Path,
    uniform: bool,
    source: Path | None = None,
) -> WriteResults:
    """Serve the fixture's database and run the write workloads against it, in one server
    session: uniform (if asked), hot, batch. `source`: see `tallybook_server`."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {fixture.api_key}"}
    log = work / f"{label}.log"
    service, base_url = tallybook_server(database_url, workers, log, source=source)
    with service:
        uniform_result = None
        if uniform:
            say(f"  {label}: one transfer a request, {CLIENTS} clients, uniform accounts")
            script = transfer_script(
                work,
                f"{label}-uniform",
                path="/v1/transfers",
                headers=headers,
                body_template=TRANSFER_TEMPLATE,
                accounts_file=fixture.accounts_file,
                hot_account=None,
                idempotency=True,
            )
            uniform_result = measure(
                base_url, script, connections=CLIENTS, sizes=sizes, log_path=log, server=service
            )
        say(f"  {label}: one transfer a request, {CLIENTS} clients, one hot account")
        script = transfer_script(
            work,
            f"{label}-hot",
            path="/v1/transfers",
            headers=headers,
            body_template=TRANSFER_TEMPLATE,
            accounts_file=fixture.accounts_file,
            hot_account=str(fixture.hot_account),
            idempotency=True,
        )
        hot_result = measure(
            base_url, script, connections=CLIENTS, sizes=sizes, log_path=log, server=service
        )
        say(f"  {label}: batches of {BATCH_TRANSFERS}, {sizes.batch_clients} clients, hot account")
        body = batch_body(fixture, work / f"{label}-batch.json").read_bytes()
        post_loop(  # warm-up, not counted
            base_url, "/v1/transfers/batch", headers=headers, body=body, clients=1,
            duration_seconds=sizes.warmup_seconds, idempotency_prefix=f"{label}-warm",
        )  # fmt: skip
        with CpuMeter(service.process_group) as meter:
            batch_result = post_loop(
                base_url, "/v1/transfers/batch", headers=headers, body=body,
                clients=sizes.batch_clients, duration_seconds=sizes.load_seconds,
                idempotency_prefix=label,
            )  # fmt: skip
    return WriteResults(uniform_result, hot_result, replace(batch_result, cpu=meter.used))
