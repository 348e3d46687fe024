"""Request bodies as DRF's default parsers read them: JSON, or an HTML form
(`application/x-www-form-urlencoded`). An empty body is empty data; anything else is 415."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from tallybook.surfaces.drf.errors import NON_FIELD_ERRORS, DrfError, InvalidInput

JSON_MEDIA_TYPE = "application/json"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


async def request_data(request: Request) -> dict[str, Any]:
    """The body as a dictionary of fields."""
    body = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body:
        return {}
    if media_type == JSON_MEDIA_TYPE or media_type.endswith("+json"):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise DrfError(400, f"JSON parse error - {error}") from error
    elif media_type == FORM_MEDIA_TYPE:
        # A QueryDict answers the last value of a repeated field.
        data = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    else:
        raise DrfError(415, f'Unsupported media type "{media_type}" in request.')
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise InvalidInput(
            {NON_FIELD_ERRORS: [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    return data
