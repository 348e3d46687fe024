"""DRF's PageNumberPagination: `page` and `page_size` in, `{count, next, previous,
results}` out, with absolute links.

As DRF does it: `page` is a number from 1 (or `last`); anything else, or past the last page,
is a 404 `{"detail": "Invalid page."}` — but page 1 of an empty list is an empty page. A
`page_size` that is not a positive whole number falls back to the default, and one above the
cap is cut to the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from tallybook.ledger.queries import CountedPage, Slice
from tallybook.surfaces.drf.errors import INVALID_PAGE, DrfError

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
LAST_PAGE = "last"
MAX_PAGE_DIGITS = 15

Item = TypeVar("Item")


def page_size(raw: str | None) -> int:
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_PAGE_DIGITS or int(text) == 0:
        return DEFAULT_PAGE_SIZE
    return min(int(text), MAX_PAGE_SIZE)


def _page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def _requested_page(raw: str | None) -> int | None:
    """The page number asked for; None for `last`. Raises Invalid page for anything else."""
    text = raw or "1"
    if text == LAST_PAGE:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > MAX_PAGE_DIGITS or int(text) < 1:
        raise DrfError(404, INVALID_PAGE)
    return int(text)


def paginate(
    request: Request,
    fetch: Callable[[Slice], CountedPage[Item]],
    render: Callable[[list[Item]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of a list in DRF's envelope. `fetch` reads a slice and counts the list;
    `render` turns the page's items into their DRF representation."""
    size = page_size(request.query_params.get("page_size"))
    number = _requested_page(request.query_params.get("page"))
    if number is None:
        number = _page_count(fetch(Slice(offset=0, limit=0, newest_first=False)).total, size)
    found = fetch(Slice(offset=(number - 1) * size, limit=size, newest_first=False))
    pages = _page_count(found.total, size)
    if number > pages:
        raise DrfError(404, INVALID_PAGE)
    url = request.url
    previous = None
    if number == 2:
        previous = str(url.remove_query_params("page"))
    elif number > 2:
        previous = str(url.include_query_params(page=number - 1))
    return {
        "count": found.total,
        "next": str(url.include_query_params(page=number + 1)) if number < pages else None,
        "previous": previous,
        "results": render(list(found.items)),
    }
