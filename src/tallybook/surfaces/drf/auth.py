"""Who is calling, the way DRF's TokenAuthentication reads it: `Authorization: Token <key>`
(and `Bearer <key>`), with DRF's messages for a missing, malformed or unknown token, and
DRF's 403 for a role too weak."""

from __future__ import annotations

from fastapi import Request

from tallybook.api.caller import Caller, caller_for
from tallybook.model import Role
from tallybook.surfaces.common import ledger_of
from tallybook.surfaces.drf.errors import (
    AUTHENTICATE_HEADERS,
    INVALID_TOKEN,
    NOT_AUTHENTICATED,
    PERMISSION_DENIED,
    DrfError,
)

KEYWORDS = ("token", "bearer")


def _unauthorized(detail: str) -> DrfError:
    return DrfError(401, detail, AUTHENTICATE_HEADERS)


def authenticate(request: Request, needed: Role) -> Caller:
    """The caller, if the key is live and its role allows `needed`; DRF's 401 or 403 if not."""
    words = request.headers.get("authorization", "").split()
    if not words or words[0].lower() not in KEYWORDS:
        raise _unauthorized(NOT_AUTHENTICATED)
    if len(words) == 1:
        raise _unauthorized("Invalid token header. No credentials provided.")
    if len(words) > 2:
        raise _unauthorized("Invalid token header. Token string should not contain spaces.")
    caller = caller_for(ledger_of(request), words[1])
    if caller is None:
        raise _unauthorized(INVALID_TOKEN)
    if not caller.key.role.allows(needed):
        raise DrfError(403, PERMISSION_DENIED)
    return caller
