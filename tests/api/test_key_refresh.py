"""A remembered API key due for its refresh: the request that finds it is answered with the
remembered key at once, and the key's row is read again off the event loop, so a key revoked
by another process stops working here at that refresh."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tallybook.auth.keys import hash_key, revoke_key
from tallybook.ledger import Ledger
from tallybook.model import ApiKey
from tests.api.conftest import Keys
from tests.api.helpers import create_account, top_up_body
from tests.support import ManualClock, remembering_for

TTL_SECONDS = 10.0
REFRESH_WAIT_SECONDS = 5.0


def _remembered_write_key(ledger: Ledger, keys: Keys) -> tuple[str, ApiKey]:
    secret = keys.write["Authorization"].removeprefix("Bearer ")
    record = ledger.key_cache.get(hash_key(secret))
    assert record is not None, "the key should be remembered by now"
    return secret, record


def test_a_key_revoked_elsewhere_works_until_the_refresh_it_set_off_has_read_it(
    client: TestClient, ledger: Ledger, keys: Keys, clock: ManualClock
) -> None:
    stopwatch = remembering_for(ledger, TTL_SECONDS)
    alice = create_account(client, keys.admin, "alice")
    assert client.get(f"/v1/accounts/{alice}", headers=keys.write).status_code == 200
    secret, record = _remembered_write_key(ledger, keys)
    revoke_key(Ledger(ledger.database, clock=clock), keys.tenant.id, record.id)  # elsewhere
    stopwatch.seconds += TTL_SECONDS / 2

    due = client.post(
        "/v1/transfers", json=top_up_body(alice), headers=keys.write | {"Idempotency-Key": "a"}
    )

    assert due.status_code == 201, due.text  # answered with the remembered key
    deadline = time.monotonic() + REFRESH_WAIT_SECONDS
    while ledger.key_cache.get(hash_key(secret)) is not None:
        assert time.monotonic() < deadline, "the refresh never read the key again"
        time.sleep(0.01)
    after = client.post(
        "/v1/transfers", json=top_up_body(alice), headers=keys.write | {"Idempotency-Key": "b"}
    )
    assert after.status_code == 401
