"""Request hashes: the digest an idempotency key is stored with must never change, or a client
retrying a request made before an upgrade would be told its key was reused for another one."""

from __future__ import annotations

import hashlib
from dataclasses import fields, replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tallybook.ledger.commands import (
    CreateTransfer,
    TransferBatch,
    _canonical_json,
    _content,
    request_hash,
)
from tallybook.model import References, TransferType

TENANT = UUID("01947a30-0000-7000-8000-0a0b0c0d0e0f")
ALICE = UUID("01947a3c-5e10-7a4b-8c2d-3e4f5a6b7c8d")
BOB = UUID("01947a3b-0f00-7c1d-9e2f-0a1b2c3d4e5f")

PLAIN = CreateTransfer(TENANT, ALICE, BOB, Decimal("12.50"), "CNY", TransferType.ORDER_PAYMENT)
EVERY_FIELD = CreateTransfer(
    TENANT,
    BOB,
    ALICE,
    Decimal("3"),
    "USD",
    TransferType.TOPUP,
    References(
        order_number="ORD-1",
        receipt_id="R-1",
        invoice_id="I-1",
        channel="alipay",
        country_code="CN",
        tags=("books", "vip"),
        note="two books",
        operator="shop",
        metadata={"vip": True, "n": [1, {"x": "y"}]},
    ),
    pending=True,
    timeout_seconds=3600,
    idempotency_key="not part of the hash",
)


def test_a_transfer_hashes_as_it_did_when_first_stored() -> None:
    # Digests made by the generic field walk, before transfers got their written-out content.
    assert request_hash(PLAIN) == "28e477ee8b8031a363f4774fb8d4015d133acefa96b6760090bc8c3224b267f6"
    assert (
        request_hash(EVERY_FIELD)
        == "cd6040eaa37a710ef601dc6ee3a37563b05921b535de2df4fcc648ead22970d9"
    )


def test_a_batch_hashes_as_it_did_when_first_stored() -> None:
    batch = TransferBatch(TENANT, (PLAIN, EVERY_FIELD), "batch-key")
    assert request_hash(batch) == "0b77d15ed557f8e59b2dc878774452feec0d34cc6f241aec86207e853422243e"


def test_every_field_of_a_transfer_counts_except_its_key() -> None:
    base = request_hash(EVERY_FIELD)
    changed: dict[str, Any] = {
        "tenant_id": ALICE,
        "debit_account_id": TENANT,
        "credit_account_id": TENANT,
        "amount": Decimal("3.01"),
        "currency": "EUR",
        "type": TransferType.REFUND,
        "references": References(note="another"),
        "pending": False,
        "timeout_seconds": 60,
    }
    names = {field.name for field in fields(CreateTransfer)} - {"idempotency_key"}
    assert set(changed) == names, "a new field of CreateTransfer must be part of its hash"
    for name, value in changed.items():
        assert request_hash(replace(EVERY_FIELD, **{name: value})) != base, name
    assert request_hash(replace(EVERY_FIELD, idempotency_key="another key")) == base


def test_every_reference_counts() -> None:
    base = request_hash(EVERY_FIELD)
    changed: dict[str, Any] = {
        "order_number": "ORD-2",
        "receipt_id": "R-2",
        "invoice_id": "I-2",
        "channel": "wechat",
        "country_code": "HK",
        "tags": ("books",),
        "note": "three books",
        "operator": "admin",
        "metadata": {"vip": False},
    }
    assert set(changed) == {field.name for field in fields(References)}
    for name, value in changed.items():
        references = replace(EVERY_FIELD.references, **{name: value})
        assert request_hash(replace(EVERY_FIELD, references=references)) != base, name


# Any text a client may send, ASCII or not, with quotes, backslashes and control characters.
_TEXTS = st.one_of(st.none(), st.text(max_size=12))


@settings(max_examples=400)
@example(Decimal("1"), References(note="DEL \x7f"), None)
@example(Decimal("1"), References(note="caf\u00e9"), None)
@example(Decimal("1"), References(note="a\nb \x1f"), None)
@example(Decimal("1"), References(note='say "hi" \\ back'), None)
@example(Decimal("1"), References(), 2**64)
@given(
    amount=st.decimals(min_value=0, max_value=10**12, places=2),
    references=st.builds(
        References,
        order_number=_TEXTS,
        receipt_id=_TEXTS,
        note=_TEXTS,
        operator=_TEXTS,
        tags=st.lists(st.text(max_size=6), max_size=3).map(tuple),
    ),
    timeout_seconds=st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70)),
)
def test_a_transfer_without_metadata_hashes_as_the_standard_json_writes_it(
    amount: Decimal, references: References, timeout_seconds: int | None
) -> None:
    # The hash of such a transfer is written by orjson where it can be (_canonical_json_quickly);
    # it must be byte for byte the digest of the standard library's text, which stored keys
    # were made with.
    transfer = replace(PLAIN, amount=amount, references=references, timeout_seconds=timeout_seconds)
    for command in (transfer, TransferBatch(TENANT, (transfer, PLAIN), "batch-key")):
        standard = hashlib.sha256(_canonical_json(_content(command)).encode()).hexdigest()
        assert request_hash(command) == standard
