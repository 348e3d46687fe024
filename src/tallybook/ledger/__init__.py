"""The ledger core: no HTTP, no SQL text. Surfaces call `Ledger`; see `facade`."""

from tallybook.ledger.commands import (
    CreateTransfer,
    ExpireDueHolds,
    PostingResult,
    PostPending,
    ReverseTransfer,
    SetBalance,
    TransferBatch,
    VoidPending,
)
from tallybook.ledger.facade import Ledger

__all__ = [
    "CreateTransfer",
    "ExpireDueHolds",
    "Ledger",
    "PostPending",
    "PostingResult",
    "ReverseTransfer",
    "SetBalance",
    "TransferBatch",
    "VoidPending",
]
