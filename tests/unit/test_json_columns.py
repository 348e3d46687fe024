"""JSON columns are read with orjson, except where it would change what was stored."""

from __future__ import annotations

import json

from tallybook.storage.database import load_json


def test_plain_metadata_reads_back_as_written() -> None:
    stored = json.dumps({"order": "ORD-1", "items": [1, 2.5, None, True], "nested": {"a": "b"}})
    assert load_json(stored) == json.loads(stored)
    assert load_json(stored.encode()) == json.loads(stored)
    assert load_json(memoryview(stored.encode())) == json.loads(stored)


def test_an_integer_past_64_bits_stays_an_exact_integer() -> None:
    stored = json.dumps({"big": 10**30, "negative": -(2**70)})
    read = load_json(stored)
    assert read == {"big": 10**30, "negative": -(2**70)}
    assert isinstance(read["big"], int)


def test_empty_values_read_back() -> None:
    assert load_json(b"{}") == {}
    assert load_json(b"[]") == []
