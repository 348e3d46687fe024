"""Which file format a history read answers in: the `format` parameter if given, else the
first `Accept` media type (by quality) that the route offers, else the route's default.

A `format` the route does not offer is a 422 naming `format`; an `Accept` it cannot satisfy
gets the default rather than a 406, since a browser or curl asks for `*/*` anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from tallybook.ledger import errors
from tallybook.render.formats import MEDIA_TYPES, OutputFormat

__all__ = ["MEDIA_TYPES", "OutputFormat", "negotiate"]


_FORMAT_OF_MEDIA_TYPE = {
    "application/json": OutputFormat.JSON,
    "text/csv": OutputFormat.CSV,
    "application/x-ndjson": OutputFormat.JSONL,
    "application/jsonl": OutputFormat.JSONL,
    "application/jsonlines": OutputFormat.JSONL,
    "application/json-lines": OutputFormat.JSONL,
    "application/pdf": OutputFormat.PDF,
}


# RFC 9110 section 12.4.2: a weight is 0 to 1 with at most three decimals.
_QUALITY = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def _quality(value: str) -> Decimal:
    """A media range's weight; one that is not a valid weight counts as 0 (not acceptable)."""
    text = value.strip()
    return Decimal(text) if _QUALITY.fullmatch(text) else Decimal(0)


def _accepted(accept: str) -> list[str]:
    """The media types of an Accept header, best quality first (ties keep their order)."""
    ranked: list[tuple[Decimal, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media_type, *parameters = (piece.strip() for piece in part.split(";"))
        quality = Decimal(1)
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                quality = _quality(value)
        ranked.append((-quality, position, media_type.lower()))
    return [media_type for quality, _, media_type in sorted(ranked) if quality < 0]


def negotiate(
    requested: OutputFormat | None, accept: str | None, offered: Sequence[OutputFormat]
) -> OutputFormat:
    """The format to answer in; `offered[0]` is the default."""
    if requested is not None:
        if requested not in offered:
            choices = ", ".join(offered)
            raise errors.ValidationError(f"format is one of {choices} here", field="format")
        return requested
    for media_type in _accepted(accept or ""):
        found = _FORMAT_OF_MEDIA_TYPE.get(media_type)
        if found is not None and found in offered:
            return found
    return offered[0]
