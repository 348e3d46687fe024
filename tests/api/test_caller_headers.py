"""The usual request's key is read from its headers by hand (`_secret_in_headers`): it must be
the key FastAPI's two security schemes find, whatever the headers hold."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import Request

from tallybook.api.caller import _API_KEY_HEADER, _BEARER, _secret, _secret_in_headers

HEADER_SETS = [
    {},
    {"Authorization": "Bearer tb_key"},
    {"Authorization": "bearer tb_key"},
    {"Authorization": "BEARER   tb_key  "},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": ""},
    {"Authorization": " Bearer tb_key"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer tb_key extra"},
    {"Authorization": "Bearertb_key"},
    {"X-API-Key": "tb_key"},
    {"X-API-Key": ""},
    {"X-API-Key": " tb_key "},
    {"x-api-key": "tb_header", "authorization": "Bearer tb_bearer"},
    {"X-API-Key": "", "Authorization": "Bearer tb_bearer"},
]


def _request(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


async def _as_fastapi_finds_it(request: Request) -> str | None:
    return _secret(await _BEARER(request), await _API_KEY_HEADER(request))


@pytest.mark.parametrize("headers", HEADER_SETS, ids=[str(h) for h in HEADER_SETS])
def test_the_key_read_by_hand_is_the_one_fastapis_schemes_find(headers: dict[str, str]) -> None:
    request = _request(headers)
    assert _secret_in_headers(request.headers) == asyncio.run(_as_fastapi_finds_it(request))
