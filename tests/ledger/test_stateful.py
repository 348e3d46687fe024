"""The real `Ledger` behaves like a tiny in-memory model, whatever the order of operations.

Hypothesis drives random sequences of money movements against a `Ledger` on a fresh SQLite
database built by the real migrations: top-ups from `world`, transfers between customers,
order payments to `revenue`, refunds, holds (with and without a timeout) that are posted
fully or partly, voided or left to expire while a manual clock moves, reversals (twice: the
second must be refused), idempotent retries (same key and content: replayed, nothing moves;
same key and other content: refused, nothing moves), atomic batches, credit limits, freezes,
and several commands submitted at once so that the engine may apply them in one batch.

For every command the model predicts whether it succeeds or which error class refuses it,
and what it writes; after every step the test checks that each account's posted, held and
credit limit equal the model's, that the tenant's posted balances sum to zero, that no
customer's available balance is below zero, that every hold has the model's status, and
that `Ledger.verify()` finds nothing wrong. So this proves, for the sequences tried, that the
engine's accept/refuse decisions and balances follow the documented rules exactly.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from tallybook.ledger import (
    CreateTransfer,
    ExpireDueHolds,
    Ledger,
    PostingResult,
    PostPending,
    ReverseTransfer,
    SetBalance,
    TransferBatch,
    VoidPending,
    errors,
)
from tallybook.ledger.commands import Command
from tallybook.model import (
    AccountKind,
    AccountStatus,
    SystemAccount,
    Transfer,
    TransferStatus,
    TransferType,
)
from tallybook.storage import migrate
from tallybook.storage.database import Database
from tests.support import ManualClock

CURRENCY = "EUR"
DECIMALS = 2
CUSTOMERS = ("alice", "bob", "carol")
WORLD = "world"
REVENUE = "revenue"
ACCOUNT_NAMES = (*CUSTOMERS, WORLD, REVENUE)

# Commands that may carry an idempotency key (SetBalance is checked in test_set_balance.py).
KeyedCommand = (
    CreateTransfer | PostPending | VoidPending | ReverseTransfer | TransferBatch | SetBalance
)
Outcome = PostingResult | errors.LedgerError


# ---------------------------------------------------------------------------------------------
# A migrated database per state machine run.


@functools.cache
def migrated_template() -> Path:
    """One SQLite file migrated to head, made once per test process; runs copy it."""
    directory = Path(tempfile.mkdtemp(prefix="tallybook-stateful-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "template.db"
    database = Database(f"sqlite:///{path}")
    try:
        migrate.upgrade(database)
    finally:
        database.dispose()
    return path


# ---------------------------------------------------------------------------------------------
# The model.


def to_minor(amount: Decimal) -> int:
    scaled = amount.scaleb(DECIMALS)
    assert scaled == scaled.to_integral_value(), f"the test made an inexact amount {amount}"
    return int(scaled)


def to_major(minor: int) -> Decimal:
    return Decimal(minor).scaleb(-DECIMALS)


@dataclass
class ModelAccount:
    name: str
    kind: AccountKind
    posted: int = 0
    held: int = 0
    credit_limit: int = 0
    frozen: bool = False

    @property
    def is_customer(self) -> bool:
        return self.kind is AccountKind.CUSTOMER

    @property
    def available(self) -> int:
        return self.posted - self.held + self.credit_limit


@dataclass
class ModelTransfer:
    """What the model expects a transfer row to say. A hold's status changes when resolved."""

    debit: UUID
    credit: UUID
    amount: int
    type: TransferType
    status: TransferStatus
    is_hold: bool = False
    pending_id: UUID | None = None
    reversal_of_id: UUID | None = None
    expires_at: datetime | None = None
    reversed: bool = False


@dataclass(frozen=True)
class Refused:
    error: type[errors.LedgerError]
    batch_index: int | None = None
    batch_cause: type[errors.LedgerError] | None = None


@dataclass(frozen=True)
class Replayed:
    transfer_ids: tuple[UUID, ...]


@dataclass
class Accepted:
    """A command's predicted effect; the real transfer ids are bound on `commit`."""

    accounts: dict[UUID, ModelAccount]
    transfers: list[ModelTransfer]
    resolutions: dict[UUID, TransferStatus] = field(default_factory=dict)
    reversed: set[UUID] = field(default_factory=set)


Prediction = Refused | Replayed | Accepted


class ModelRefusal(Exception):
    def __init__(self, error: type[errors.LedgerError]) -> None:
        super().__init__(error.__name__)
        self.error = error


def without_key(command: KeyedCommand) -> KeyedCommand:
    return dataclasses.replace(command, idempotency_key=None)


class LedgerModel:
    """Balances, transfers and claimed idempotency keys of one tenant, in one currency."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.accounts: dict[UUID, ModelAccount] = {}
        self.transfers: dict[UUID, ModelTransfer] = {}
        self.claimed: dict[str, tuple[KeyedCommand, tuple[UUID, ...]]] = {}

    # -- predicting ----------------------------------------------------------------------------

    def predict(self, command: Command) -> Prediction:
        if not isinstance(command, ExpireDueHolds) and command.idempotency_key is not None:
            earlier = self.claimed.get(command.idempotency_key)
            if earlier is not None:
                earlier_content, earlier_ids = earlier
                if without_key(command) == earlier_content:
                    return Replayed(earlier_ids)
                return Refused(errors.IdempotencyConflict)
        working: dict[UUID, ModelAccount] = {}
        try:
            if isinstance(command, CreateTransfer):
                transfers = [self._create(working, command)]
                return Accepted(working, transfers)
            if isinstance(command, TransferBatch):
                return self._batch(working, command)
            if isinstance(command, PostPending):
                return self._post(working, command)
            if isinstance(command, VoidPending):
                return self._void(working, command)
            if isinstance(command, ReverseTransfer):
                return self._reverse(working, command)
            if isinstance(command, SetBalance):
                return self._set_balance(working, command)
            return self._expire(working)
        except ModelRefusal as refusal:
            return Refused(refusal.error)

    def _working(self, working: dict[UUID, ModelAccount], account_id: UUID) -> ModelAccount:
        if account_id not in working:
            working[account_id] = dataclasses.replace(self.accounts[account_id])
        return working[account_id]

    def _create(self, working: dict[UUID, ModelAccount], command: CreateTransfer) -> ModelTransfer:
        if command.debit_account_id == command.credit_account_id:
            raise ModelRefusal(errors.SameAccount)
        amount = to_minor(command.amount)
        debit = self._working(working, command.debit_account_id)
        credit = self._working(working, command.credit_account_id)
        if debit.frozen:
            raise ModelRefusal(errors.AccountFrozen)
        if debit.is_customer and debit.available < amount:
            raise ModelRefusal(errors.InsufficientFunds)
        if command.pending:
            debit.held += amount
        else:
            debit.posted -= amount
            credit.posted += amount
        timeout = command.timeout_seconds
        return ModelTransfer(
            debit=command.debit_account_id,
            credit=command.credit_account_id,
            amount=amount,
            type=command.type,
            status=TransferStatus.PENDING if command.pending else TransferStatus.POSTED,
            is_hold=command.pending,
            expires_at=None if timeout is None else self.now + timedelta(seconds=timeout),
        )

    def _batch(self, working: dict[UUID, ModelAccount], command: TransferBatch) -> Prediction:
        transfers = []
        for index, member in enumerate(command.transfers):
            try:
                transfers.append(self._create(working, member))
            except ModelRefusal as refusal:
                return Refused(errors.BatchFailed, batch_index=index, batch_cause=refusal.error)
        return Accepted(working, transfers)

    def _open_hold(self, pending_id: UUID) -> ModelTransfer:
        hold = self.transfers.get(pending_id)
        if hold is None:
            raise ModelRefusal(errors.TransferNotFound)
        if not hold.is_hold:
            raise ModelRefusal(errors.TransferNotPending)
        if hold.status is TransferStatus.EXPIRED:
            raise ModelRefusal(errors.HoldExpired)
        if hold.status is not TransferStatus.PENDING:
            raise ModelRefusal(errors.HoldAlreadyResolved)
        return hold

    def _post(self, working: dict[UUID, ModelAccount], command: PostPending) -> Accepted:
        hold = self._open_hold(command.pending_id)
        if hold.expires_at is not None and hold.expires_at <= self.now:
            raise ModelRefusal(errors.HoldExpired)
        amount = hold.amount if command.amount is None else to_minor(command.amount)
        if amount > hold.amount:
            raise ModelRefusal(errors.PostExceedsHold)
        debit = self._working(working, hold.debit)
        credit = self._working(working, hold.credit)
        if debit.frozen:
            raise ModelRefusal(errors.AccountFrozen)
        debit.held -= hold.amount
        debit.posted -= amount
        credit.posted += amount
        posting = ModelTransfer(
            debit=hold.debit,
            credit=hold.credit,
            amount=amount,
            type=hold.type,
            status=TransferStatus.POSTED,
            pending_id=command.pending_id,
        )
        return Accepted(working, [posting], {command.pending_id: TransferStatus.POSTED})

    def _void(self, working: dict[UUID, ModelAccount], command: VoidPending) -> Accepted:
        hold = self._open_hold(command.pending_id)
        self._working(working, hold.debit).held -= hold.amount
        voiding = ModelTransfer(
            debit=hold.debit,
            credit=hold.credit,
            amount=hold.amount,
            type=hold.type,
            status=TransferStatus.VOIDED,
            pending_id=command.pending_id,
        )
        return Accepted(working, [voiding], {command.pending_id: TransferStatus.VOIDED})

    def _reverse(self, working: dict[UUID, ModelAccount], command: ReverseTransfer) -> Accepted:
        original = self.transfers.get(command.transfer_id)
        if original is None:
            raise ModelRefusal(errors.TransferNotFound)
        if (
            original.status is not TransferStatus.POSTED
            or original.type is TransferType.REVERSAL
            or original.is_hold
        ):
            raise ModelRefusal(errors.TransferNotReversible)
        if original.reversed:
            raise ModelRefusal(errors.AlreadyReversed)
        payer = self._working(working, original.credit)
        payee = self._working(working, original.debit)
        if payer.frozen:
            raise ModelRefusal(errors.AccountFrozen)
        if payer.is_customer and payer.available < original.amount:
            raise ModelRefusal(errors.InsufficientFunds)
        payer.posted -= original.amount
        payee.posted += original.amount
        reversal = ModelTransfer(
            debit=original.credit,
            credit=original.debit,
            amount=original.amount,
            type=TransferType.REVERSAL,
            status=TransferStatus.POSTED,
            reversal_of_id=command.transfer_id,
        )
        return Accepted(working, [reversal], reversed={command.transfer_id})

    def _set_balance(self, working: dict[UUID, ModelAccount], command: SetBalance) -> Accepted:
        """One adjustment from or to world for the difference; nothing when there is none."""
        if command.target < 0:
            raise ModelRefusal(errors.InvalidAmount)
        account = self._working(working, command.account_id)
        difference = to_minor(command.target) - (account.posted - account.held)
        if difference == 0:
            return Accepted(working, [])
        world = command.world_account_id
        debit, credit = (
            (world, command.account_id) if difference > 0 else (command.account_id, world)
        )
        adjustment = CreateTransfer(
            command.tenant_id,
            debit,
            credit,
            to_major(abs(difference)),
            CURRENCY,
            TransferType.ADJUSTMENT,
        )
        return Accepted(working, [self._create(working, adjustment)])

    def _expire(self, working: dict[UUID, ModelAccount]) -> Accepted:
        accepted = Accepted(working, [])
        for hold_id, hold in self.transfers.items():
            due = hold.expires_at is not None and hold.expires_at <= self.now
            if hold.is_hold and hold.status is TransferStatus.PENDING and due:
                self._working(working, hold.debit).held -= hold.amount
                accepted.transfers.append(
                    ModelTransfer(
                        debit=hold.debit,
                        credit=hold.credit,
                        amount=hold.amount,
                        type=hold.type,
                        status=TransferStatus.EXPIRED,
                        pending_id=hold_id,
                    )
                )
                accepted.resolutions[hold_id] = TransferStatus.EXPIRED
        return accepted

    # -- committing ----------------------------------------------------------------------------

    def commit(self, command: Command, accepted: Accepted, written: tuple[Transfer, ...]) -> None:
        self.accounts.update(accepted.accounts)
        for expected, transfer in zip(accepted.transfers, written, strict=True):
            self.transfers[transfer.id] = expected
        for hold_id, status in accepted.resolutions.items():
            self.transfers[hold_id].status = status
        for transfer_id in accepted.reversed:
            self.transfers[transfer_id].reversed = True
        # A key is claimed by the transfers it wrote: a SetBalance that found its target
        # already reached wrote none, so its key stays free.
        if isinstance(command, ExpireDueHolds) or not written:
            return
        if command.idempotency_key is not None:
            ids = tuple(transfer.id for transfer in written)
            self.claimed[command.idempotency_key] = (without_key(command), ids)

    def hold_ids(self) -> list[UUID]:
        return [transfer_id for transfer_id, t in self.transfers.items() if t.is_hold]

    def posted_ids(self) -> list[UUID]:
        return [
            transfer_id
            for transfer_id, t in self.transfers.items()
            if t.status is TransferStatus.POSTED and not t.is_hold
        ]


def with_other_content(command: KeyedCommand) -> KeyedCommand:
    """The same idempotency key on a request that differs in one field."""
    cent = Decimal("0.01")
    if isinstance(command, CreateTransfer):
        return dataclasses.replace(command, amount=command.amount + cent)
    if isinstance(command, TransferBatch):
        first, *rest = command.transfers
        changed = dataclasses.replace(first, amount=first.amount + cent)
        return dataclasses.replace(command, transfers=(changed, *rest))
    if isinstance(command, SetBalance):
        return dataclasses.replace(command, target=command.target + cent)
    return dataclasses.replace(command, note=f"{command.note or ''} (changed)")


# ---------------------------------------------------------------------------------------------
# Strategies.

amounts = st.integers(min_value=1, max_value=5_000).map(to_major)
top_up_amounts = st.integers(min_value=1, max_value=20_000).map(to_major)
credit_limits = st.sampled_from([0, 1, 500, 2_500, 10_000]).map(to_major)
customers = st.sampled_from(CUSTOMERS)
hold_payers = st.sampled_from((*CUSTOMERS, WORLD))
any_account = st.sampled_from(ACCOUNT_NAMES)
# Timeouts and clock steps share values so that a deadline is often hit exactly.
hold_timeouts = st.none() | st.sampled_from([1, 30, 60, 300])
clock_steps = st.sampled_from([1, 29, 30, 60, 300, 3_600])
# Percent of the hold to post; None posts it in full, above 100 asks for more than was held.
post_percents = (
    st.none() | st.integers(min_value=1, max_value=100) | st.integers(min_value=101, max_value=110)
)


@dataclass(frozen=True)
class MemberSpec:
    """One transfer of an atomic batch; a batch may mix posted transfers and holds."""

    debit: str
    credit: str
    amount: Decimal
    pending: bool
    timeout: int | None


batch_members = st.builds(
    MemberSpec,
    debit=any_account,
    credit=any_account,
    amount=amounts,
    pending=st.booleans(),
    timeout=hold_timeouts,
)


def transfer_type(debit: str, credit: str) -> TransferType:
    if debit == WORLD:
        return TransferType.TOPUP
    if credit == REVENUE:
        return TransferType.ORDER_PAYMENT
    if debit == REVENUE:
        return TransferType.REFUND
    return TransferType.ALLOCATION


# ---------------------------------------------------------------------------------------------
# The state machine.


class LedgerMachine(RuleBasedStateMachine):
    holds: Bundle[UUID] = Bundle("holds")
    posted_transfers: Bundle[UUID] = Bundle("posted_transfers")

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="tallybook-stateful-"))
        path = self.directory / "tallybook.db"
        shutil.copy(migrated_template(), path)
        self.clock = ManualClock()
        self.ledger = Ledger(Database(f"sqlite:///{path}"), clock=self.clock)
        self.ledger.start()
        self.tenant_id = self.ledger.create_tenant("Stateful Platform").id
        self.ledger.configure_currency(self.tenant_id, CURRENCY, DECIMALS)
        self.model = LedgerModel(self.clock.now())
        self.ids: dict[str, UUID] = {}
        for which, name in ((SystemAccount.WORLD, WORLD), (SystemAccount.REVENUE, REVENUE)):
            account = self.ledger.system_account(self.tenant_id, which, CURRENCY)
            self._add_account(name, account.id, AccountKind.SYSTEM)
        for name in CUSTOMERS:
            account = self.ledger.create_account(self.tenant_id, name, name.title())
            self._add_account(name, account.id, AccountKind.CUSTOMER)
        self.keyed_commands: list[KeyedCommand] = []
        self.keys_issued = 0

    def _add_account(self, name: str, account_id: UUID, kind: AccountKind) -> None:
        self.ids[name] = account_id
        self.model.accounts[account_id] = ModelAccount(name, kind)

    def teardown(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- running a command against both --------------------------------------------------------

    def _key(self, keyed: bool) -> str | None:
        if not keyed:
            return None
        self.keys_issued += 1
        return f"key-{self.keys_issued}"

    def _remember_keyed(self, command: Command) -> None:
        if not isinstance(command, ExpireDueHolds) and command.idempotency_key is not None:
            self.keyed_commands.append(command)

    def _run(self, command: Command) -> PostingResult | None:
        """Execute `command`, check it against the model; the result when it wrote anything."""
        self._remember_keyed(command)
        prediction = self.model.predict(command)
        try:
            outcome: Outcome = self.ledger.execute(command)
        except errors.LedgerError as refused:
            outcome = refused
        return self._settle(command, prediction, outcome)

    def _run_together(self, commands: list[Command]) -> None:
        """Queue all commands before waiting, so the engine may apply them in one batch."""
        for command in commands:
            self._remember_keyed(command)
        batches_before = self.ledger.engine.statistics.batches
        futures = [self.ledger.submit(command) for command in commands]
        for command, future in zip(commands, futures, strict=True):
            error = future.exception()
            outcome: Outcome
            if error is None:
                outcome = future.result()
            else:
                assert isinstance(error, errors.LedgerError), f"{command} crashed: {error!r}"
                outcome = error
            self._settle(command, self.model.predict(command), outcome)
        if self.ledger.engine.statistics.batches - batches_before < len(commands):
            event("engine applied several queued commands in one batch")

    def _settle(
        self, command: Command, prediction: Prediction, outcome: Outcome
    ) -> PostingResult | None:
        kind = type(command).__name__
        if isinstance(command, CreateTransfer) and command.pending:
            kind = "CreateTransfer (hold)"
        if isinstance(prediction, Refused):
            assert isinstance(outcome, errors.LedgerError), (
                f"{command} should be refused with {prediction.error.__name__}, "
                f"but it succeeded: {outcome}"
            )
            assert type(outcome) is prediction.error, (
                f"{command} should be refused with {prediction.error.__name__}, "
                f"got {type(outcome).__name__}: {outcome.message}"
            )
            if prediction.batch_cause is not None:
                assert isinstance(outcome, errors.BatchFailed)
                assert outcome.index == prediction.batch_index, outcome.message
                assert type(outcome.cause) is prediction.batch_cause, outcome.message
            event(f"{kind} refused: {prediction.error.__name__}")
            return None
        assert isinstance(outcome, PostingResult), (
            f"{command} should succeed, got {type(outcome).__name__}: {outcome}"
        )
        if isinstance(prediction, Replayed):
            assert outcome.replayed, f"{command} reused a key but was not answered as a replay"
            assert tuple(t.id for t in outcome.transfers) == prediction.transfer_ids
            event(f"{kind} replayed")
            return None
        assert not outcome.replayed, f"{command} was replayed, the model expected a new write"
        written = outcome.transfers
        if isinstance(command, ExpireDueHolds):
            # Holds with the same deadline expire in no particular order.
            order = {t.pending_id: index for index, t in enumerate(prediction.transfers)}
            assert len(order) == len(written), f"expired {len(written)}, expected {len(order)}"
            written = tuple(sorted(written, key=lambda t: order[t.pending_id]))
        assert len(written) == len(prediction.transfers), f"{command} wrote {written}"
        for expected, transfer in zip(prediction.transfers, written, strict=True):
            self._check_written(expected, transfer)
        self.model.commit(command, prediction, written)
        if isinstance(command, ExpireDueHolds) and written:
            kind += " (some expired)"
        event(f"{kind} accepted")
        return outcome

    def _check_written(self, expected: ModelTransfer, transfer: Transfer) -> None:
        actual = ModelTransfer(
            debit=transfer.debit_account_id,
            credit=transfer.credit_account_id,
            amount=transfer.amount,
            type=transfer.type,
            status=transfer.status,
            is_hold=expected.is_hold,
            pending_id=transfer.pending_id,
            reversal_of_id=transfer.reversal_of_id,
            expires_at=transfer.expires_at,
        )
        assert actual == expected, f"wrote {actual}, expected {expected}"
        assert transfer.tenant_id == self.tenant_id and transfer.currency == CURRENCY

    def _transfer(
        self, debit: str, credit: str, amount: Decimal, key: str | None = None
    ) -> CreateTransfer:
        return CreateTransfer(
            tenant_id=self.tenant_id,
            debit_account_id=self.ids[debit],
            credit_account_id=self.ids[credit],
            amount=amount,
            currency=CURRENCY,
            type=transfer_type(debit, credit),
            idempotency_key=key,
        )

    def _move(self, debit: str, credit: str, amount: Decimal, keyed: bool) -> MultipleResults[UUID]:
        result = self._run(self._transfer(debit, credit, amount, self._key(keyed)))
        return multiple() if result is None else multiple(result.transfer.id)

    def _hold(
        self, payer: str, payee: str, amount: Decimal, timeout: int | None, key: str | None
    ) -> CreateTransfer:
        return dataclasses.replace(
            self._transfer(payer, payee, amount, key), pending=True, timeout_seconds=timeout
        )

    def _wait(self, seconds: int | None) -> None:
        if seconds is not None:
            self.clock.advance(seconds)
            self.model.now = self.clock.now()

    def _post(self, hold_id: UUID, percent: int | None, key: str | None) -> PostPending:
        if percent is None:
            return PostPending(self.tenant_id, hold_id, idempotency_key=key)
        held = self.model.transfers[hold_id].amount
        minor = held + percent - 100 if percent > 100 else max(1, held * percent // 100)
        return PostPending(self.tenant_id, hold_id, amount=to_major(minor), idempotency_key=key)

    # -- plain transfers -----------------------------------------------------------------------

    @initialize(
        target=posted_transfers,
        funding=st.lists(top_up_amounts, min_size=len(CUSTOMERS), max_size=len(CUSTOMERS)),
    )
    def fund_customers(self, funding: list[Decimal]) -> MultipleResults[UUID]:
        """Start with money on every customer, so that spending mostly succeeds at first."""
        results = [
            self._run(self._transfer(WORLD, customer, amount))
            for customer, amount in zip(CUSTOMERS, funding, strict=True)
        ]
        return multiple(*(result.transfer.id for result in results if result is not None))

    @rule(target=posted_transfers, customer=customers, amount=top_up_amounts, keyed=st.booleans())
    def top_up(self, customer: str, amount: Decimal, keyed: bool) -> MultipleResults[UUID]:
        return self._move(WORLD, customer, amount, keyed)

    @rule(
        target=posted_transfers,
        payer=customers,
        payee=customers,
        amount=amounts,
        keyed=st.booleans(),
    )
    def transfer_between_customers(
        self, payer: str, payee: str, amount: Decimal, keyed: bool
    ) -> MultipleResults[UUID]:
        return self._move(payer, payee, amount, keyed)

    @rule(target=posted_transfers, customer=customers, amount=amounts, keyed=st.booleans())
    def pay_order(self, customer: str, amount: Decimal, keyed: bool) -> MultipleResults[UUID]:
        return self._move(customer, REVENUE, amount, keyed)

    # -- holds ---------------------------------------------------------------------------------

    @rule(
        target=holds,
        payer=hold_payers,
        payee=any_account,
        amount=amounts,
        timeout=hold_timeouts,
        keyed=st.booleans(),
    )
    def place_hold(
        self, payer: str, payee: str, amount: Decimal, timeout: int | None, keyed: bool
    ) -> MultipleResults[UUID]:
        result = self._run(self._hold(payer, payee, amount, timeout, self._key(keyed)))
        return multiple() if result is None else multiple(result.transfer.id)

    @rule(
        target=posted_transfers,
        hold=holds,
        percent=post_percents,
        wait_first=st.none() | clock_steps,
        keyed=st.booleans(),
    )
    def post_hold(
        self, hold: UUID, percent: int | None, wait_first: int | None, keyed: bool
    ) -> MultipleResults[UUID]:
        self._wait(wait_first)
        result = self._run(self._post(hold, percent, self._key(keyed)))
        return multiple() if result is None else multiple(result.transfer.id)

    @rule(transfer=posted_transfers)
    def post_what_is_not_a_hold(self, transfer: UUID) -> None:
        self._run(PostPending(self.tenant_id, transfer))

    @rule(hold=holds, wait_first=st.none() | clock_steps, keyed=st.booleans())
    def void_hold(self, hold: UUID, wait_first: int | None, keyed: bool) -> None:
        self._wait(wait_first)
        self._run(
            VoidPending(self.tenant_id, hold, note="voided", idempotency_key=self._key(keyed))
        )

    @rule(seconds=clock_steps)
    def advance_clock(self, seconds: int) -> None:
        self._wait(seconds)

    @rule(every_tenant=st.booleans())
    def expire_due_holds(self, every_tenant: bool) -> None:
        self._run(ExpireDueHolds(tenant_id=None if every_tenant else self.tenant_id))

    # -- reversals -----------------------------------------------------------------------------

    @rule(target=posted_transfers, transfer=posted_transfers, keyed=st.booleans())
    def reverse_twice(self, transfer: UUID, keyed: bool) -> MultipleResults[UUID]:
        """Reverse a transfer; when that works, a second reversal must be AlreadyReversed."""
        result = self._run(
            ReverseTransfer(self.tenant_id, transfer, idempotency_key=self._key(keyed))
        )
        if result is None:
            return multiple()
        again = ReverseTransfer(self.tenant_id, transfer, note="again")
        assert self.model.predict(again) == Refused(errors.AlreadyReversed)
        try:
            self.ledger.execute(again)
        except errors.AlreadyReversed:
            event("ReverseTransfer refused: AlreadyReversed (second reversal)")
        else:
            raise AssertionError(f"transfer {transfer} was reversed twice")
        return multiple(result.transfer.id)

    @rule(hold=holds)
    def reverse_a_hold(self, hold: UUID) -> None:
        self._run(ReverseTransfer(self.tenant_id, hold))

    # -- idempotency ---------------------------------------------------------------------------

    @precondition(lambda self: bool(self.keyed_commands))
    @rule(data=st.data(), other_content=st.booleans())
    def retry_with_same_key(self, data: st.DataObject, other_content: bool) -> None:
        """Same content: a replay if the first try succeeded. Other content: a conflict then."""
        earlier = data.draw(st.sampled_from(self.keyed_commands), label="earlier")
        self._run(with_other_content(earlier) if other_content else earlier)

    # -- batches -------------------------------------------------------------------------------

    @rule(
        target=posted_transfers,
        members=st.lists(batch_members, min_size=1, max_size=3),
        keyed=st.booleans(),
    )
    def atomic_batch(self, members: list[MemberSpec], keyed: bool) -> MultipleResults[UUID]:
        """All members or none; holds it places are reached through the model's hold list."""
        transfers = tuple(
            self._hold(m.debit, m.credit, m.amount, m.timeout, None)
            if m.pending
            else self._transfer(m.debit, m.credit, m.amount)
            for m in members
        )
        result = self._run(TransferBatch(self.tenant_id, transfers, self._key(keyed)))
        if result is None:
            return multiple()
        return multiple(*(t.id for t in result.transfers if t.status is TransferStatus.POSTED))

    @rule(data=st.data())
    def submit_together(self, data: st.DataObject) -> None:
        """Several commands queued at once: each must still succeed or fail on its own."""
        makers: dict[str, Callable[[], Command]] = {
            "top_up": lambda: self._transfer(
                WORLD, data.draw(customers), data.draw(top_up_amounts), self._key(True)
            ),
            "transfer": lambda: self._transfer(
                data.draw(customers), data.draw(any_account), data.draw(amounts)
            ),
            "hold": lambda: self._hold(
                data.draw(hold_payers),
                data.draw(any_account),
                data.draw(amounts),
                data.draw(hold_timeouts),
                self._key(data.draw(st.booleans())),
            ),
            "expire": lambda: ExpireDueHolds(self.tenant_id),
        }
        if holds := self.model.hold_ids():
            makers["post"] = lambda: self._post(
                data.draw(st.sampled_from(holds)), data.draw(post_percents), None
            )
            makers["void"] = lambda: VoidPending(self.tenant_id, data.draw(st.sampled_from(holds)))
        if posted := self.model.posted_ids():
            makers["reverse"] = lambda: ReverseTransfer(
                self.tenant_id, data.draw(st.sampled_from(posted))
            )
        if self.keyed_commands:
            makers["retry"] = lambda: data.draw(st.sampled_from(self.keyed_commands))
        names = data.draw(st.lists(st.sampled_from(sorted(makers)), min_size=2, max_size=4))
        self._run_together([makers[name]() for name in names])

    # -- balances set by hand ------------------------------------------------------------------

    @rule(
        target=posted_transfers,
        customer=customers,
        balance=st.none() | st.integers(min_value=0, max_value=20_000).map(to_major),
        keyed=st.booleans(),
    )
    def set_balance(
        self, customer: str, balance: Decimal | None, keyed: bool
    ) -> MultipleResults[UUID]:
        """An operator sets a balance (None: to what it already is, which writes nothing, or
        is refused when credit has taken it below zero)."""
        account = self.model.accounts[self.ids[customer]]
        wanted = to_major(account.posted - account.held) if balance is None else balance
        command = SetBalance(
            self.tenant_id,
            self.ids[customer],
            self.ids[WORLD],
            CURRENCY,
            wanted,
            idempotency_key=self._key(keyed),
        )
        result = self._run(command)
        if result is None or not result.transfers:
            return multiple()
        return multiple(result.transfer.id)

    # -- account settings ----------------------------------------------------------------------

    @rule(customer=customers, limit=credit_limits)
    def set_credit_limit(self, customer: str, limit: Decimal) -> None:
        account = self.model.accounts[self.ids[customer]]
        minor = to_minor(limit)
        expected_error = (
            errors.InsufficientFunds if account.posted - account.held + minor < 0 else None
        )
        try:
            balance = self.ledger.set_credit_limit(
                self.tenant_id, self.ids[customer], CURRENCY, limit
            )
        except errors.LedgerError as refused:
            assert type(refused) is expected_error, f"credit limit {limit}: {refused!r}"
            event("set_credit_limit refused")
            return
        assert expected_error is None, f"credit limit {limit} accepted, below what is used"
        assert balance.credit_limit == minor
        account.credit_limit = minor
        event("set_credit_limit accepted")

    @rule(name=any_account, frozen=st.booleans())
    def freeze_or_unfreeze(self, name: str, frozen: bool) -> None:
        account = self.model.accounts[self.ids[name]]
        change = self.ledger.freeze if frozen else self.ledger.unfreeze
        try:
            changed = change(self.tenant_id, self.ids[name])
        except errors.ValidationError:
            assert not account.is_customer, f"{name} could not be frozen or unfrozen"
            event("freeze of a system account refused")
            return
        assert account.is_customer, f"system account {name} was frozen or unfrozen"
        assert changed.status is (AccountStatus.FROZEN if frozen else AccountStatus.ACTIVE)
        account.frozen = frozen

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def balances_match_the_model(self) -> None:
        total_posted = 0
        for account_id, expected in self.model.accounts.items():
            balance = self.ledger.balance(self.tenant_id, account_id, CURRENCY)
            actual = (balance.posted, balance.held, balance.credit_limit)
            wanted = (expected.posted, expected.held, expected.credit_limit)
            assert actual == wanted, f"{expected.name}: (posted, held, limit) {actual} != {wanted}"
            if expected.is_customer:
                assert balance.available >= 0, f"{expected.name} available {balance.available}"
            total_posted += balance.posted
        assert total_posted == 0, f"posted balances sum to {total_posted}"

    @invariant()
    def holds_have_the_model_status(self) -> None:
        for hold_id in self.model.hold_ids():
            status = self.ledger.get_transfer(self.tenant_id, hold_id).status
            assert status is self.model.transfers[hold_id].status, f"hold {hold_id} is {status}"

    @invariant()
    def ledger_verifies(self) -> None:
        report = self.ledger.verify()
        assert report.ok, report.render()


TestLedgerAgainstModel = LedgerMachine.TestCase
TestLedgerAgainstModel.settings = settings(
    max_examples=30,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
