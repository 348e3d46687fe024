"""Idempotency-Key over HTTP: a retry gets the first answer; a reused key with another body
gets 409; concurrent retries move money once (also on PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tallybook.api.idempotency import REPLAY_HEADER
from tallybook.ledger import Ledger
from tests.api.conftest import Keys, tenant_with_keys
from tests.api.helpers import available, create_account, top_up_body, transfer


def test_a_retry_answers_the_first_response_and_moves_nothing(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    headers = {**keys.write, "Idempotency-Key": "top-up-1"}

    first = client.post("/v1/transfers", json=top_up_body(alice), headers=headers)
    retry = client.post("/v1/transfers", json=top_up_body(alice), headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert REPLAY_HEADER not in first.headers
    assert retry.headers[REPLAY_HEADER] == "true"
    assert available(client, keys.read, alice) == "10.00"


def test_the_same_key_with_another_body_is_a_conflict(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    headers = {**keys.write, "Idempotency-Key": "top-up-1"}
    client.post("/v1/transfers", json=top_up_body(alice), headers=headers)

    reused = client.post("/v1/transfers", json=top_up_body(alice, "99.00"), headers=headers)

    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_conflict"
    assert available(client, keys.read, alice) == "10.00"


def test_a_retried_hold_shows_pending_as_it_first_did_after_it_was_posted(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    transfer(client, keys.write, "@world", alice, "10.00")
    body = {**top_up_body("@world", "4.00"), "debit_account_id": alice, "type": "withdrawal"}
    headers = {**keys.write, "Idempotency-Key": "withdraw-1"}
    first = client.post("/v1/transfers", json={**body, "pending": True}, headers=headers)
    client.post(f"/v1/transfers/{first.json()['id']}/post", headers=keys.write)

    retry = client.post("/v1/transfers", json={**body, "pending": True}, headers=headers)

    assert retry.json() == first.json() and retry.json()["status"] == "pending"
    assert available(client, keys.read, alice) == "6.00"


def test_keys_are_scoped_to_the_tenant(client: TestClient, keys: Keys, ledger: Ledger) -> None:
    other = tenant_with_keys(ledger, "Platform B")
    alice = create_account(client, keys.write, "alice")
    bob = create_account(client, other.write, "bob")

    mine = client.post(
        "/v1/transfers", json=top_up_body(alice), headers={**keys.write, "Idempotency-Key": "k"}
    )
    theirs = client.post(
        "/v1/transfers", json=top_up_body(bob), headers={**other.write, "Idempotency-Key": "k"}
    )

    assert mine.status_code == theirs.status_code == 201
    assert REPLAY_HEADER not in theirs.headers
    assert available(client, other.read, bob) == "10.00"


def test_a_retried_refusal_is_refused_again_and_the_key_stays_free(
    client: TestClient, keys: Keys
) -> None:
    alice = create_account(client, keys.write, "alice")
    body = {**top_up_body("@revenue"), "debit_account_id": alice, "type": "order_payment"}
    headers = {**keys.write, "Idempotency-Key": "pay-1"}

    refused = client.post("/v1/transfers", json=body, headers=headers)
    transfer(client, keys.write, "@world", alice, "10.00")
    paid = client.post("/v1/transfers", json=body, headers=headers)

    assert refused.status_code == 409 and paid.status_code == 201
    assert available(client, keys.read, alice) == "0.00"


def test_concurrent_requests_with_one_key_move_money_once(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    headers = {**keys.write, "Idempotency-Key": "race-1"}

    def send(_: int) -> tuple[int, str, bool]:
        answer = client.post("/v1/transfers", json=top_up_body(alice), headers=headers)
        return answer.status_code, answer.json()["id"], REPLAY_HEADER in answer.headers

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(16)))

    assert {status for status, _, _ in answers} == {201}
    assert len({transfer_id for _, transfer_id, _ in answers}) == 1
    assert sum(not replayed for _, _, replayed in answers) == 1
    assert available(client, keys.read, alice) == "10.00"


def test_a_keyed_batch_replays_as_a_whole(client: TestClient, keys: Keys) -> None:
    alice = create_account(client, keys.write, "alice")
    batch = {"transfers": [top_up_body(alice, "1.00"), top_up_body(alice, "2.00")]}
    headers = {**keys.write, "Idempotency-Key": "batch-1"}

    first = client.post("/v1/transfers/batch", json=batch, headers=headers)
    retry = client.post("/v1/transfers/batch", json=batch, headers=headers)
    changed = client.post(
        "/v1/transfers/batch", json={"transfers": batch["transfers"][:1]}, headers=headers
    )

    assert retry.json() == first.json() and retry.headers[REPLAY_HEADER] == "true"
    assert changed.status_code == 409
    assert available(client, keys.read, alice) == "3.00"
