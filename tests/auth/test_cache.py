"""The key cache: a live key is remembered for its time, refreshed by one caller once half of
it has passed, and a revocation in this process wins over a read that began before it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tallybook.auth.cache import KeyCache
from tallybook.model import ApiKey, Role
from tests.support import Stopwatch

TTL_SECONDS = 10.0


def a_key(name: str = "backend") -> ApiKey:
    return ApiKey(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        name=name,
        key_hint="abcd",
        role=Role.WRITE,
        account_id=None,
        created_at=datetime(2026, 1, 15, tzinfo=UTC),
        revoked_at=None,
    )


def remembered(cache: KeyCache, record: ApiKey, key_hash: str = "h") -> None:
    cache.finish_read(key_hash, cache.start_read(), record)


def due_for_refresh(record: ApiKey) -> tuple[KeyCache, Stopwatch]:
    """A cache that remembers `record` under "h" and a clock moved to half its time."""
    clock = Stopwatch()
    cache = KeyCache(TTL_SECONDS, monotonic=clock)
    remembered(cache, record)
    clock.seconds += TTL_SECONDS / 2
    return cache, clock


def test_a_key_is_remembered_for_its_time_from_when_its_row_was_read() -> None:
    clock = Stopwatch()
    cache = KeyCache(TTL_SECONDS, monotonic=clock)
    record = a_key()
    reading = cache.start_read()
    clock.seconds += 2  # the read took two seconds

    cache.finish_read("h", reading, record)

    clock.seconds += TTL_SECONDS - 2 - 0.001
    assert cache.get("h") == record
    clock.seconds += 0.001
    assert cache.get("h") is None


def test_no_refresh_is_due_in_the_first_half_of_a_keys_time() -> None:
    clock = Stopwatch()
    cache = KeyCache(TTL_SECONDS, monotonic=clock)
    remembered(cache, a_key())

    clock.seconds += TTL_SECONDS / 2 - 0.001

    assert cache.claim_refresh("h") is None


def test_past_half_its_time_one_caller_refreshes_and_the_others_use_the_remembered_key() -> None:
    record = a_key()
    cache, _clock = due_for_refresh(record)

    refresh = cache.claim_refresh("h")

    assert refresh is not None
    assert [cache.claim_refresh("h") for _ in range(5)] == [None] * 5
    assert cache.get("h") == record


def test_a_refreshed_key_gets_a_new_time_and_a_new_refresh_point() -> None:
    clock = Stopwatch()
    cache = KeyCache(TTL_SECONDS, monotonic=clock)
    remembered(cache, a_key("old"))
    clock.seconds += TTL_SECONDS * 0.9
    refresh = cache.claim_refresh("h")
    assert refresh is not None
    renewed = a_key("renamed")

    cache.finish_read("h", refresh, renewed)

    clock.seconds += TTL_SECONDS * 0.9  # past the first time, within the new one
    assert cache.get("h") == renewed
    assert cache.claim_refresh("h") is not None  # and past the new half-way point


def test_a_refresh_that_finds_the_key_revoked_forgets_it() -> None:
    cache, _clock = due_for_refresh(a_key())
    refresh = cache.claim_refresh("h")
    assert refresh is not None

    cache.finish_read("h", refresh, None)

    assert cache.get("h") is None


def test_an_abandoned_refresh_can_be_claimed_again() -> None:
    cache, _clock = due_for_refresh(a_key())
    assert cache.claim_refresh("h") is not None

    cache.abandon_refresh("h")

    assert cache.claim_refresh("h") is not None


def test_a_read_begun_before_the_cache_was_emptied_is_not_stored() -> None:
    """`revoke_key` empties the cache; a refresh (or a first read) that read the key's row
    before the revocation committed must not bring the key back afterwards."""
    record = a_key()
    cache, _clock = due_for_refresh(record)
    refresh = cache.claim_refresh("h")
    first_read = cache.start_read()
    assert refresh is not None

    cache.forget_all()
    cache.finish_read("h", refresh, record)
    cache.finish_read("other", first_read, a_key())

    assert cache.get("h") is None and cache.get("other") is None


def test_with_no_time_nothing_is_remembered() -> None:
    cache = KeyCache(0, monotonic=Stopwatch())

    remembered(cache, a_key())

    assert cache.get("h") is None and cache.claim_refresh("h") is None
