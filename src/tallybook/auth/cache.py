"""Live API keys remembered for a few seconds, so a request does not read its key row.

Why: every authenticated request would otherwise start with a database read, which at
thousands of transfers a second is a large share of the work. Only live keys are kept (an
unknown key is looked up each time, so guessing costs the guesser, not the memory), by the
sha256 the database stores, for `ttl_seconds` from the moment their row was read.

Refreshed ahead of time: once half of a remembered key's time has passed, the next caller
that finds it claims a refresh (`claim_refresh`) and reads the row again, while every other
caller goes on with the remembered record. Why: when a busy key's time simply ran out, every
request in flight found it gone at once and read it — under 64 clients, dozens of reads in
the same millisecond, each from the threadpool, with the pool opening connections for them —
every `ttl_seconds`, which was the slowest moment of the single-transfer load.

Revocation: `revoke_key` empties this process's cache, so in the process that revoked it a key
stops working at once (a read that began before the revocation is not stored after it);
another server process notices at its next refresh, and at the latest `ttl_seconds` after it
last read the row (setting `TALLYBOOK_API_KEY_CACHE_SECONDS`; 0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tallybook.model import ApiKey

MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class Reading:
    """A read of a key's row under way: when it began (a reading of the cache's monotonic
    clock, in seconds: a time, never an amount), and which contents of the cache it may be
    stored into (`forget_all` starts a new generation)."""

    generation: int
    started_at_seconds: float


@dataclass(slots=True)
class _Remembered:
    """A live key and when its row was read (monotonic seconds): it is due for a refresh
    half `ttl_seconds` later and forgotten a whole `ttl_seconds` later."""

    record: ApiKey
    read_at_seconds: float
    refreshing: bool = False


class KeyCache:
    def __init__(
        self, ttl_seconds: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._monotonic = monotonic
        self._keys: dict[str, _Remembered] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> ApiKey | None:
        """The live key remembered under `key_hash`, unless its time is up."""
        found = self._keys.get(key_hash)
        if found is None or self._monotonic() >= found.read_at_seconds + self.ttl_seconds:
            return None
        return found.record

    def start_read(self) -> Reading:
        """Call before reading a key's row that is not remembered; hand the result to
        `finish_read`."""
        return Reading(self._generation, self._monotonic())

    def claim_refresh(self, key_hash: str) -> Reading | None:
        """A `Reading` for the one caller that should read the remembered key's row again
        now (past half its time, nobody refreshing it yet); None for everyone else, who use
        the remembered record meanwhile."""
        now = self._monotonic()
        found = self._keys.get(key_hash)
        if found is None or found.refreshing or now < found.read_at_seconds + self.ttl_seconds / 2:
            return None  # every request but one in half a TTL: no lock taken
        with self._lock:
            if found.refreshing or self._keys.get(key_hash) is not found:
                return None
            found.refreshing = True
            return Reading(self._generation, now)

    def finish_read(self, key_hash: str, reading: Reading, record: ApiKey | None) -> None:
        """Remember `record`, the live key `reading` found, for `ttl_seconds` from when the
        read began; or, given None (no such key, or revoked), forget the key. Nothing is
        stored when the cache was emptied since the read began: that read may predate a
        revocation."""
        with self._lock:
            if reading.generation != self._generation:
                return
            if record is None or self.ttl_seconds <= 0:
                self._keys.pop(key_hash, None)
                return
            if len(self._keys) >= MAX_CACHED_KEYS and key_hash not in self._keys:
                self._keys.clear()
            self._keys[key_hash] = _Remembered(record, reading.started_at_seconds)

    def abandon_refresh(self, key_hash: str) -> None:
        """The claimed refresh failed: the next caller may claim it again."""
        with self._lock:
            found = self._keys.get(key_hash)
            if found is not None:
                found.refreshing = False

    def forget_all(self) -> None:
        with self._lock:
            self._keys.clear()
            self._generation += 1
