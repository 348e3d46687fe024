"""Identifiers made by the service: time-ordered UUIDs (version 7 layout).

Why time-ordered: rows inserted together sit together in the primary-key index, so bulk
inserts touch few index pages, and ids sort roughly by creation time.
"""

from __future__ import annotations

import os
import time
from uuid import UUID

_RANDOM_BITS = 74


def new_id() -> UUID:
    """A new UUIDv7: 48 bits of Unix milliseconds, version, variant, 74 random bits."""
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big") >> (80 - _RANDOM_BITS)
    high_random = random_bits >> 62  # 12 bits after the version nibble
    low_random = random_bits & ((1 << 62) - 1)  # 62 bits after the variant
    value = (
        (milliseconds & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | high_random << 64
        | 0b10 << 62
        | low_random
    )
    return UUID(int=value)
