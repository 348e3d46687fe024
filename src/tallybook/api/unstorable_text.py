"""Text PostgreSQL cannot store is refused wherever a client can send it: a 422 naming the
field (on a seed surface, the seed's own answer to invalid input), before anything is read or
written. Two kinds: the NUL character (U+0000), and a lone UTF-16 surrogate (a JSON `\\ud800`
with no partner), which is not a character at all.

Why: PostgreSQL's text and jsonb cannot hold either — psycopg refuses to bind a NUL, jsonb
refuses the `\\u0000` escape and an unpaired surrogate — so a NUL in a note, a metadata key,
an `Idempotency-Key` or a list filter, or a lone surrogate in metadata, failed deep in a query
as a 500, while SQLite stored it: the two databases disagreed. Refusing both on both keeps
them alike.

Why at the HTTP boundary rather than in the core's text checks (`ledger/limits.py`): what
reaches the database is not only what the core writes. Read filters (`?order_number=`), path
segments and headers reach queries too, and only the boundary sees them all, under the names
the client used (`metadata.colour`, a seed's own field name). The core's only other caller,
the CLI, takes its text from the command line, which cannot carry a NUL.

How: `unstorable_text_issues` finds every such text in the request — path parameters, query
parameters, header values, and the body as JSON or as an HTML form — as FastAPI's validation
issues, and `refuse_unstorable_text` raises them as `RequestValidationError`, so each
application's own handler words them in its envelope. It is an app-level dependency of the
native API and of every seed surface; `DirectRoute`, which skips the dependencies, hands such
a request to FastAPI's handler, which runs them.

It stays cheap on the usual request: the raw bytes are searched for the only ways a NUL can be
spelled (a raw 0x00 byte, `%00` in a query string or a form, `\\u0000` in JSON) and for a JSON
surrogate escape (`\\ud…`, which a well-paired emoji also starts with), and only a request
that has one is parsed to find where. A JSON `\\\\u0000` (an escaped backslash, then `u0000`)
is parsed and let through. A lone surrogate can only come from a JSON escape: a query string
or a form decodes invalid UTF-8 to U+FFFD, and headers are bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError

NUL = "\x00"
MESSAGE = "must not contain the NUL character (U+0000)"
SURROGATE_MESSAGE = "must be Unicode text: a lone surrogate (\\ud800-\\udfff) is not a character"
NAME_MESSAGE = f"the name {MESSAGE}"
NAME_SURROGATE_MESSAGE = f"the name {SURROGATE_MESSAGE}"
ISSUE_TYPE = "nul_character"
SURROGATE_ISSUE_TYPE = "lone_surrogate"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

Location = tuple[str | int, ...]
Issue = dict[str, Any]

# Every way a NUL can be spelled in a request's raw bytes — a raw byte (which also covers a
# body in UTF-16 or UTF-32, which JSON parsers accept, where every ASCII character has one),
# `%00` in a query string or a form, `\\u0000` in JSON — and a JSON surrogate escape.
_RAW_NUL = b"\x00"
_PERCENT_NUL = b"%00"
_MAYBE_UNSTORABLE_BODY = re.compile(rb"\x00|%00|\\u(?:0000|[dD])")


def _issue(
    location: Location, value: str, message: str = MESSAGE, issue_type: str = ISSUE_TYPE
) -> Issue:
    return {"type": issue_type, "loc": location, "msg": message, "input": value}


def _is_unicode(text: str) -> bool:
    """False for text holding a lone surrogate (JSON decoding pairs the others up)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_issue(location: Location, text: str, *, is_name: bool = False) -> Issue | None:
    """What is wrong with `text` for storing, if anything."""
    if NUL in text:
        return _issue(location, _shown(text), NAME_MESSAGE if is_name else MESSAGE)
    if not _is_unicode(text):
        message = NAME_SURROGATE_MESSAGE if is_name else SURROGATE_MESSAGE
        return _issue(location, _shown(text), message, SURROGATE_ISSUE_TYPE)
    return None


def _shown(name: str) -> str:
    """Text as it can be shown in an error: its NULs and lone surrogates written as JSON
    escapes them."""
    shown = name.replace(NUL, "\\u0000")
    if _is_unicode(shown):
        return shown
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


def _in_pairs(location: Location, pairs: Iterable[tuple[str, Any]]) -> Iterator[Issue]:
    """Every unstorable text in named values (a JSON object, a form, a query string), in
    their names and in their values when those are text."""
    for name, value in pairs:
        named = (*location, _shown(name))
        issue = _text_issue(named, name, is_name=True)
        if issue is not None:
            yield issue
        if isinstance(value, str):
            issue = _text_issue(named, value)
            if issue is not None:
                yield issue


def _in_document(document: Any) -> Iterator[Issue]:
    """Every unstorable text in a parsed JSON body, in its strings and its objects' names.
    Walked without recursion: the document may be nested as deep as the parser allowed."""
    pending: list[tuple[Location, Any]] = [(("body",), document)]
    while pending:
        location, value = pending.pop()
        if isinstance(value, str):
            issue = _text_issue(location, value)
            if issue is not None:
                yield issue
        elif isinstance(value, dict):
            yield from _in_pairs(location, value.items())  # names, and text values
            nested = [(name, item) for name, item in value.items() if isinstance(item, dict | list)]
            pending.extend(((*location, _shown(name)), item) for name, item in reversed(nested))
        elif isinstance(value, list):
            pending.extend(((*location, i), item) for i, item in reversed(list(enumerate(value))))


def _in_body(body: bytes, media_type: str) -> Iterator[Issue]:
    """Every unstorable text in the body, read as the handlers read it: an HTML form by its
    media type, anything else as JSON. A body that is neither carries no text to any handler,
    which refuses it itself."""
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


async def unstorable_text_issues(request: Request) -> list[Issue]:
    """Every place the request carries unstorable text, as FastAPI's validation issues: empty
    when there is none (the usual case, found with one search of the body and nothing parsed)."""
    issues = [*_in_path(request), *_in_query(request), *_in_headers(request)]
    body = await request.body()
    if _MAYBE_UNSTORABLE_BODY.search(body):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        issues.extend(_in_body(body, media_type))
    return issues


async def refuse_unstorable_text(request: Request) -> None:
    """A dependency of every application: a validation error (which the application words in
    its own envelope) naming each place the request carries unstorable text. Async: no
    threadpool hop on the hot paths."""
    issues = await unstorable_text_issues(request)
    if issues:
        raise RequestValidationError(issues)
