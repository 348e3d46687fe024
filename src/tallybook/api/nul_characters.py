"""The NUL character (U+0000) is refused wherever a client can send text: a 422 naming the
field (on a seed surface, the seed's own answer to invalid input), before anything is read or
written.

Why: PostgreSQL's text and jsonb cannot hold U+0000 — psycopg refuses to bind it and jsonb
refuses the `\\u0000` escape — so a NUL in a note, a metadata key, an `Idempotency-Key` or a
list filter failed deep in a query as a 500, while SQLite stored it: the two databases
disagreed. Refusing it on both keeps them alike.

Why at the HTTP boundary rather than in the core's text checks (`ledger/limits.py`): what
reaches the database is not only what the core writes. Read filters (`?order_number=`), path
segments and headers reach queries too, and only the boundary sees them all, under the names
the client used (`metadata.colour`, a seed's own field name). The core's only other caller,
the CLI, takes its text from the command line, which cannot carry a NUL.

How: `nul_issues` finds every NUL in the request — path parameters, query parameters, header
values, and the body as JSON or as an HTML form — as FastAPI's validation issues, and
`refuse_nul_characters` raises them as `RequestValidationError`, so each application's own
handler words them in its envelope. It is an app-level dependency of the native API and of
every seed surface; `DirectRoute`, which skips the dependencies, hands a request with a NUL
to FastAPI's handler, which runs them.

It stays cheap on the usual request: the raw bytes are searched for the only ways a NUL can be
spelled (a raw 0x00 byte, `%00` in a query string or a form, `\\u0000` in JSON), and only a
request that has one is parsed to find where. A JSON `\\\\u0000` (an escaped backslash, then
`u0000`) is parsed and let through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError

NUL = "\x00"
MESSAGE = "must not contain the NUL character (U+0000)"
NAME_MESSAGE = "the name must not contain the NUL character (U+0000)"
ISSUE_TYPE = "nul_character"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

Location = tuple[str | int, ...]
Issue = dict[str, Any]

# Every way a NUL can be spelled in a request's raw bytes (a raw byte also covers a body
# in UTF-16 or UTF-32, which JSON parsers accept, where every ASCII character has one).
_RAW_NUL = b"\x00"
_PERCENT_NUL = b"%00"
_JSON_NUL = b"\\u0000"


def _issue(location: Location, value: str, message: str = MESSAGE) -> Issue:
    return {"type": ISSUE_TYPE, "loc": location, "msg": message, "input": value}


def _shown(name: str) -> str:
    """A name as it can be shown in an error: its NULs written as JSON escapes them."""
    return name.replace(NUL, "\\u0000")


def _in_pairs(location: Location, pairs: Iterable[tuple[str, Any]]) -> Iterator[Issue]:
    """Every NUL in named values (a JSON object, a form, a query string), in their names
    and in their values when those are text."""
    for name, value in pairs:
        if NUL in name:
            yield _issue((*location, _shown(name)), name, NAME_MESSAGE)
        if isinstance(value, str) and NUL in value:
            yield _issue((*location, _shown(name)), value)


def _in_document(document: Any) -> Iterator[Issue]:
    """Every NUL in a parsed JSON body, in its strings and its objects' names. Walked without
    recursion: the document may be nested as deep as the parser allowed."""
    pending: list[tuple[Location, Any]] = [(("body",), document)]
    while pending:
        location, value = pending.pop()
        if isinstance(value, str) and NUL in value:
            yield _issue(location, value)
        elif isinstance(value, dict):
            yield from _in_pairs(location, value.items())  # names, and text values
            nested = [(name, item) for name, item in value.items() if isinstance(item, dict | list)]
            pending.extend(((*location, _shown(name)), item) for name, item in reversed(nested))
        elif isinstance(value, list):
            pending.extend(((*location, i), item) for i, item in reversed(list(enumerate(value))))


def _in_body(body: bytes, media_type: str) -> Iterator[Issue]:
    """Every NUL in the body, read as the handlers read it: an HTML form by its media type,
    anything else as JSON. A body that is neither carries no text to any handler, which
    refuses it itself."""
    if media_type == FORM_MEDIA_TYPE:
        yield from _in_pairs(
            ("body",), parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        )
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError)
        return
    yield from _in_document(document)


def _in_query(request: Request) -> Iterator[Issue]:
    query_string: bytes = request.scope["query_string"]
    if _PERCENT_NUL in query_string or _RAW_NUL in query_string:
        yield from _in_pairs(("query",), request.query_params.multi_items())


def _in_path(request: Request) -> Iterator[Issue]:
    if NUL in request.scope["path"]:
        yield from _in_pairs(("path",), request.path_params.items())


def _in_headers(request: Request) -> Iterator[Issue]:
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]
    for name, value in headers:
        if _RAW_NUL in value:
            yield _issue(("header", name.decode("latin-1")), value.decode("latin-1"))


async def nul_issues(request: Request) -> list[Issue]:
    """Every place the request carries a NUL, as FastAPI's validation issues: empty when
    there is none (the usual case, found without parsing anything)."""
    issues = [*_in_path(request), *_in_query(request), *_in_headers(request)]
    body = await request.body()
    if _RAW_NUL in body or _PERCENT_NUL in body or _JSON_NUL in body:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        issues.extend(_in_body(body, media_type))
    return issues


async def refuse_nul_characters(request: Request) -> None:
    """A dependency of every application: a validation error (which the application words in
    its own envelope) naming each place the request carries a NUL. Async: no threadpool hop
    on the hot paths."""
    issues = await nul_issues(request)
    if issues:
        raise RequestValidationError(issues)
