"""Limits on what a command may carry: every string and list has a bound (Tiger Style)."""

from __future__ import annotations

import json

from tallybook.ledger.errors import ValidationError
from tallybook.model import References

MAX_IDEMPOTENCY_KEY_LENGTH = 200
MAX_REFERENCE_LENGTH = 128
MAX_CHANNEL_LENGTH = 64
MAX_COUNTRY_CODE_LENGTH = 8
MAX_NOTE_LENGTH = 2000
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_METADATA_BYTES = 8192


def check_idempotency_key(key: str | None) -> None:
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationError(
            f"an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters",
            field="idempotency_key",
        )


def check_text(value: str | None, field: str, max_length: int) -> None:
    if value is not None and len(value) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters", field=field)


def check_tags(tags: tuple[str, ...], field: str = "tags") -> None:
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"at most {MAX_TAGS} tags", field=field)
    for tag in tags:
        if not 1 <= len(tag) <= MAX_TAG_LENGTH:
            raise ValidationError(f"a tag is 1 to {MAX_TAG_LENGTH} characters", field=field)


def check_metadata(metadata: object, field: str = "metadata") -> None:
    if metadata == {}:
        return  # the usual case, and plain JSON of two bytes: no need to write it out
    try:
        size = len(json.dumps(metadata, separators=(",", ":")).encode())
    except (TypeError, ValueError) as exc:
        raise ValidationError("metadata must be plain JSON", field=field) from exc
    if size > MAX_METADATA_BYTES:
        raise ValidationError(f"metadata is larger than {MAX_METADATA_BYTES} bytes", field=field)


def check_references(references: References) -> None:
    for field in ("order_number", "receipt_id", "invoice_id", "operator"):
        check_text(getattr(references, field), field, MAX_REFERENCE_LENGTH)
    check_text(references.channel, "channel", MAX_CHANNEL_LENGTH)
    check_text(references.country_code, "country_code", MAX_COUNTRY_CODE_LENGTH)
    check_text(references.note, "note", MAX_NOTE_LENGTH)
    check_tags(references.tags)
    check_metadata(dict(references.metadata))
