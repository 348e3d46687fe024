"""Live API keys remembered for a few seconds, so a request does not read its key row.

Why: every authenticated request would otherwise start with a database read, which at
thousands of transfers a second is a large share of the work. Only live keys are kept (an
unknown key is looked up each time, so guessing costs the guesser, not the memory), by the
sha256 the database stores, for `ttl_seconds`.

Revocation: `revoke_key` empties this process's cache, so in the process that revoked it a key
stops working at once; another server process notices within `ttl_seconds` (setting
`TALLYBOOK_API_KEY_CACHE_SECONDS`; 0 turns the cache off).
"""

from __future__ import annotations

import threading
import time

from tallybook.model import ApiKey

MAX_CACHED_KEYS = 10_000


class KeyCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._keys: dict[str, tuple[ApiKey, float]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> ApiKey | None:
        """The live key remembered under `key_hash`, unless it is older than the TTL."""
        found = self._keys.get(key_hash)
        if found is None:
            return None
        record, expires_at = found
        if time.monotonic() >= expires_at:
            return None
        return record

    def remember(self, key_hash: str, record: ApiKey) -> None:
        if self.ttl_seconds <= 0:
            return
        with self._lock:
            if len(self._keys) >= MAX_CACHED_KEYS:
                self._keys.clear()
            self._keys[key_hash] = (record, time.monotonic() + self.ttl_seconds)

    def forget_all(self) -> None:
        with self._lock:
            self._keys.clear()
