"""Payment-channel callbacks: a channel tells Tallybook a top-up was paid, or failed.

A callback carries no API key; it proves where it comes from with a signature:

    signature = hex( HMAC-SHA256( key = the tenant's secret for that channel,
                                  message = timestamp + "." + raw request body ) )

`timestamp` is Unix seconds, sent beside the signature. A callback is refused (as
unauthenticated) when the channel has no secret, the signature does not match, or the
timestamp is more than five minutes away from the server's clock. The window bounds how long a
captured callback can be replayed; a replay inside it, or a channel resending a callback with a
new timestamp, cannot credit twice, because a top-up is confirmed once (`topups`).
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from tallybook.ledger import Ledger
from tallybook.wallet.errors import InvalidSignature, StaleTimestamp
from tallybook.wallet.settings import callback_secret

SIGNATURE_WINDOW_SECONDS = 5 * 60
SIGNATURE_PREFIX = "sha256="
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds until the year 33658


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a channel sends for `body` at `timestamp` (also what tests and clients
    use to sign)."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    ledger: Ledger,
    tenant_id: UUID,
    channel: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
) -> None:
    """Raise InvalidSignature or StaleTimestamp unless the callback is genuine and fresh.

    The signature may be sent bare or as `sha256=<hex>`. An unknown tenant, or a channel
    without a secret, is refused the same way as a wrong signature: a caller learns nothing.
    """
    secret = callback_secret(ledger, tenant_id, channel)
    well_formed = (
        timestamp is not None
        and signature is not None
        and timestamp.isascii()
        and timestamp.isdigit()
        and len(timestamp) <= MAX_TIMESTAMP_DIGITS
    )
    if secret is None or not well_formed:
        raise InvalidSignature("the callback is not signed with the channel's secret")
    assert timestamp is not None and signature is not None
    given = signature.removeprefix(SIGNATURE_PREFIX)
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), given.encode()):
        raise InvalidSignature("the callback is not signed with the channel's secret")
    drift_seconds = abs(ledger.clock.now().timestamp() - int(timestamp))
    if drift_seconds > SIGNATURE_WINDOW_SECONDS:
        raise StaleTimestamp(
            f"the callback was signed {int(drift_seconds)} s away from now; "
            f"at most {SIGNATURE_WINDOW_SECONDS} s is accepted",
            field="timestamp",
        )
