"""The demo tenant behind `tallybook demo`: four months in the life of a small wallet platform.

Why it looks like this: someone opening the API or the database for the first time should see
what production data looks like — customers with names and payout details, resellers funding
sub-accounts, recharge orders paid through Alipay, WeChat, cards and bank transfers (a few
declined or abandoned), orders paid from the balance and refunded, payouts reviewed by finance
(paid, rejected, cancelled, failed, a few still waiting) — so that every feature has something
to show. It is built only through the wallet flows (`tallybook.wallet`: their steps, queued on
the posting engine like any caller's), so it obeys the rules real traffic obeys and
`tallybook verify` passes.

- Deterministic: one seed, so two builds tell the same story (the dates follow the run day).
- In time: the ledger runs on a `DemoClock` moved forward slot by slot, so `created_at` spreads
  over the months (Asia/Shanghai, 9:00 to 23:00) and the history ends before the real now.
- Fast: a slot's commands and steps are submitted together and awaited together, so the
  group-commit engine writes them in a few transactions instead of one each. A top-up is made
  with an id chosen here, so its confirmation can queue right behind it.
- Never refused: the builder tracks every customer's available balance and plans only what the
  ledger will accept; a refusal would be a bug in the demo, and it stops the build.
- Built once: a second run finds the tenant by name and only issues a new API key (a key is
  shown once, so running the command again is how to get another).
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tallybook.auth.keys import issue_key
from tallybook.ledger import CreateTransfer, Ledger, ReverseTransfer
from tallybook.ledger.engine import Work
from tallybook.ledger.ids import new_id
from tallybook.ledger.steps import Step
from tallybook.model import References, Role, SystemAccount, Tenant, TransferStatus, TransferType
from tallybook.settings import Settings
from tallybook.surfaces.seed_keys import SeedKeys, issue_seed_keys
from tallybook.wallet import settings as wallet_settings
from tallybook.wallet.orders import ChargeOrder, RefundOrder
from tallybook.wallet.sub_accounts import Allocation
from tallybook.wallet.topups import ConfirmTopUp, CreateTopUp, ExpireTopUp, FailTopUp
from tallybook.wallet.withdrawals import (
    CreateWithdrawal,
    EditWithdrawal,
    MoveWithdrawal,
    WithdrawalAction,
    WithdrawalPolicy,
    policy_for,
)
from tallybook.wallet_model import ConfirmedVia, Order, Withdrawal

DEMO_TENANT_NAME = "Demo Platform"
DEMO_TIME_ZONE = "Asia/Shanghai"
SEED = 20261122
HISTORY_DAYS = 122
# A day's events happen in these local office-hour slots (hour, share of the day's events);
# each slot is one chunk for the engine and one timestamp in the history.
SLOTS = ((9, 0.15), (12, 0.2), (15, 0.2), (19, 0.25), (22, 0.2))
# Events on an average day; the platform grows from 70 % to 130 % of it over the months.
EVENTS_PER_DAY = 64
TOPUP_EXPIRY_SECONDS = 30 * 60
TOPUPS_DECLINED = 0.04  # the channel says no; the customer pays another way
TOPUPS_ABANDONED = 0.03  # nobody pays; the top-up expires
# What finance does with a payout request (weights): pay it, pay it after the customer
# changed the amount, reject it, see the customer cancel it, or approve it and see it bounce.
PAYOUT_OUTCOMES = (("paid", 78), ("edited", 7), ("rejected", 6), ("cancelled", 5), ("failed", 4))
WITHDRAWAL_FEE_PERCENT = Decimal("0.1")
REFUNDABLE_ORDERS = 1500  # refunds look back about a month of orders
CANCELLABLE_ORDERS = 40  # cancellations look back only at the last few slots' orders
SUPPORT = "support@demo-platform.example"
FINANCE = "finance@demo-platform.example"


@dataclass(frozen=True)
class DemoHistory:
    """What one build wrote."""

    customer_accounts: int  # sub-accounts included
    sub_accounts: int
    transfers: int  # every row: holds, their resolutions and reversals too
    entries: int  # balance-history lines: two per posted movement


@dataclass(frozen=True)
class DemoSummary:
    """The demo tenant, what this run built (None: it was already there), a fresh admin key
    and a fresh key for each seed API's example client."""

    tenant: Tenant
    history: DemoHistory | None
    api_key: str
    seed_keys: SeedKeys


class DemoClock:
    """A clock the demo sets by hand, so the history's `created_at` follows the story."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance_to(self, moment: datetime) -> None:
        """Move to `moment`, never back: an account's entries must follow each other in time."""
        if moment < self._now:
            raise ValueError(f"the demo clock cannot go back from {self._now} to {moment}")
        self._now = moment


def build_demo(settings: Settings) -> DemoSummary:
    """Build the demo tenant in the database of `settings` unless it is there; issue a key."""
    zone = ZoneInfo(DEMO_TIME_ZONE)
    first_day = datetime.now(zone).date() - timedelta(days=HISTORY_DAYS)
    clock = DemoClock(datetime.combine(first_day, time(8), tzinfo=zone).astimezone(UTC))
    with Ledger.from_settings(settings, clock=clock) as ledger:
        tenant = ledger.find_tenant_by_name(DEMO_TENANT_NAME)
        history = None
        if tenant is None:
            builder = _DemoBuilder(ledger, clock, zone, first_day)
            history = builder.build()
            tenant = builder.tenant
        clock.advance_to(datetime.now(UTC))
        _record, api_key = issue_key(ledger, tenant.id, "demo", Role.ADMIN)
        seed_keys = issue_seed_keys(ledger, tenant.id, settings.drf_wallet_currency)
    return DemoSummary(tenant=tenant, history=history, api_key=api_key, seed_keys=seed_keys)


# -- the cast ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CurrencyStyle:
    """How people use a currency on the platform."""

    decimals: int
    price_scale: Decimal  # the catalogue is priced in US dollars
    top_ups: tuple[int, ...]  # the round sums people top up by, smallest first
    channels: tuple[str, ...]  # repeated to weigh the likely ones
    min_payout: int  # the tenant's withdrawal minimum
    payout_fee: str  # the tenant's fixed withdrawal fee, besides the percentage
    daily_payout_maximum: int


_CURRENCIES = {
    "CNY": _CurrencyStyle(
        2,
        Decimal(7),
        (100, 200, 300, 500, 1000, 2000, 5000),
        ("alipay", "alipay", "wechat", "wechat", "bank_transfer"),
        200,
        "1.00",
        50_000,
    ),
    "EUR": _CurrencyStyle(
        2,
        Decimal("0.9"),
        (20, 50, 100, 200, 500),
        ("card", "card", "bank_transfer"),
        30,
        "0.50",
        5_000,
    ),
    # Three decimals, as seed 002 shows: metered usage is billed to the tenth of a cent.
    "USD": _CurrencyStyle(
        3,
        Decimal(1),
        (25, 50, 100, 250, 500),
        ("card", "card", "bank_transfer"),
        30,
        "0.500",
        5_000,
    ),
}

# How each channel's own payment ids look, and who tells the platform a payment arrived: the
# wallets and the card processor call back (signed); bank transfers are matched by finance.
_PAYMENT_ID_PREFIXES = {"alipay": "ALI", "wechat": "WX", "card": "CH", "bank_transfer": "BANK"}
_CONFIRMED_BY_CALLBACK = {"alipay", "wechat", "card"}
_DECLINE_REASONS = {
    "alipay": "Alipay: payment closed by the customer",
    "wechat": "WeChat Pay: insufficient balance in the wallet",
    "card": "Card declined by the issuer",
    "bank_transfer": "Bank transfer returned: account name mismatch",
}


@dataclass(frozen=True)
class _Profile:
    """Who a customer is; the first currency is the one they mostly use."""

    name: str
    country: str
    currencies: tuple[str, ...]
    tags: tuple[str, ...] = ()
    sub_accounts: tuple[str, ...] = ()  # the people a reseller funds


_PROFILES = (
    _Profile("Li Wei", "CN", ("CNY",), ("vip",)),
    _Profile("Wang Fang", "CN", ("CNY",)),
    _Profile("Zhang Min", "CN", ("CNY", "USD")),
    _Profile("Chen Jing", "CN", ("CNY",), ("reseller",), ("Gao Yan", "Lin Tao", "He Ping")),
    _Profile("Liu Yang", "CN", ("CNY",)),
    _Profile("Yang Xiuying", "CN", ("CNY",)),
    _Profile("Huang Lei", "CN", ("CNY",), ("vip",)),
    _Profile("Zhao Jun", "CN", ("CNY",)),
    _Profile("Zhou Xin", "CN", ("CNY",), ("reseller",), ("Guo Qiang", "Luo Na")),
    _Profile("Wu Hui", "HK", ("CNY", "USD")),
    _Profile("Xu Ming", "CN", ("CNY",)),
    _Profile("Sun Li", "CN", ("CNY",)),
    _Profile("Ma Lin", "CN", ("CNY", "EUR")),
    _Profile("Anna Müller", "DE", ("EUR",), ("vip",)),
    _Profile("Lukas Schmidt", "DE", ("EUR",), ("reseller",), ("Jonas Weber", "Mia Fischer")),
    _Profile("Camille Dubois", "FR", ("EUR",)),
    _Profile("Sofia Rossi", "IT", ("EUR",)),
    _Profile("Daan de Vries", "NL", ("EUR", "USD")),
    _Profile("Lucía García", "ES", ("EUR",)),
    _Profile("Emily Johnson", "US", ("USD",), ("vip",)),
    _Profile(
        "Michael Smith",
        "US",
        ("USD",),
        ("reseller",),
        ("Ava Taylor", "Noah Anderson", "Liam Thomas"),
    ),
    _Profile("Olivia Brown", "US", ("USD",)),
    _Profile("James Miller", "CA", ("USD",)),
    _Profile("Sophia Davis", "US", ("USD", "EUR")),
    _Profile("Daniel Wilson", "US", ("USD",)),
)


@dataclass(frozen=True)
class _Product:
    name: str
    tag: str
    low_cents: int
    high_cents: int


_CATALOGUE = (
    _Product("Cloud storage, monthly plan", "subscription", 199, 999),
    _Product("Music streaming, family plan", "subscription", 1499, 1699),
    _Product("E-book", "digital", 299, 2499),
    _Product("Game credits", "digital", 499, 9999),
    _Product("Online course", "education", 1999, 19999),
    _Product("Wireless earbuds", "electronics", 2999, 14999),
    _Product("Phone case", "accessories", 599, 2999),
    _Product("Coffee beans, 1 kg", "grocery", 1299, 3999),
    _Product("Concert ticket", "tickets", 3500, 18000),
)
USAGE_PRICE_PER_REQUEST = Decimal("0.0125")  # metered: what gives USD its third decimal
CROSS_BORDER_COUNTRIES = ("SG", "JP", "GB", "AU", "KR")
RETAIL_PRICE_ENDINGS = (Decimal("0.01"), Decimal("0.10"), Decimal(0))  # 9.99, 9.90, 10.00

_REFUND_REASONS = (  # (note, whether all that is left of the order goes back)
    ("Refund: item arrived damaged", True),
    ("Refund: returned within 14 days", True),
    ("Refund: subscription cancelled", True),
    ("Partial refund: late delivery", False),
)
_CANCELLATION_REASONS = (
    "Order cancelled by the customer before shipping",
    "Duplicate payment from a retried checkout",
)
_REJECTED_PAYOUT_REASONS = (
    "The name on the payout account does not match the account holder",
    "Payout details incomplete: the full name is missing",
)
_FAILED_PAYOUT_REASONS = (
    "The bank returned the transfer: account closed",
    "Alipay refused the transfer: the receiving account is restricted",
)
_WALLET_COUNTRIES = ("CN", "HK")  # customers paid out to Alipay; the others to a bank


@dataclass(eq=False)
class _Customer:
    account_id: UUID
    name: str
    country: str
    currencies: tuple[str, ...]
    activity: int  # relative weight of how often they buy
    payout_channel: str
    payout_profile: dict[str, Any]
    parent: _Customer | None = None
    sub_accounts: list[_Customer] = field(default_factory=list)


@dataclass(eq=False)
class _PaidOrder:
    customer: _Customer
    order: Order
    amount: Decimal
    day: int
    refunded: Decimal = Decimal(0)
    cancelled: bool = False


@dataclass(frozen=True)
class _Payout:
    withdrawal: Withdrawal
    customer: _Customer
    amount: Decimal
    due: tuple[int, int]  # (day, slot) when finance decides
    outcome: str  # one of PAYOUT_OUTCOMES


@dataclass(frozen=True)
class _Adjustment:
    day: int
    currency: str
    amount: int
    credit: bool  # True: the platform pays the customer; False: it takes money back
    note: str
    reversal_note: str | None = None  # finance takes it back the next day, saying so


@dataclass(frozen=True)
class _Reversal:
    due_day: int
    transfer_id: UUID
    customer: _Customer
    currency: str
    amount: Decimal
    note: str


_ADJUSTMENTS = (
    _Adjustment(21, "CNY", 20, True, "Goodwill credit: parcel held up by the carrier"),
    _Adjustment(
        47,
        "EUR",
        15,
        True,
        "Goodwill credit: delayed refund",
        "Reversed: the goodwill credit was meant for another customer",
    ),
    _Adjustment(64, "CNY", 100, False, "Correction: a bank transfer top-up was credited twice"),
    _Adjustment(103, "USD", 5, True, "Compensation: charged twice at checkout"),
)

Result = Any  # a PostingResult or a StepResult: both carry the transfers they wrote


# -- the story --------------------------------------------------------------------------------


class _DemoBuilder:
    """Plays the history day by day, slot by slot, keeping the balances it expects."""

    def __init__(self, ledger: Ledger, clock: DemoClock, zone: ZoneInfo, first_day: date) -> None:
        self.ledger = ledger
        self.clock = clock
        self.zone = zone
        self.first_day = first_day
        self.randomness = random.Random(SEED)
        self.tenant = ledger.create_tenant(DEMO_TENANT_NAME, time_zone=DEMO_TIME_ZONE)
        for code, style in _CURRENCIES.items():
            ledger.configure_currency(self.tenant.id, code, style.decimals)
        self._configure_wallet()
        self.world = self._system_accounts(SystemAccount.WORLD)
        self.revenue = self._system_accounts(SystemAccount.REVENUE)
        self.policies: dict[str, WithdrawalPolicy] = {
            code: policy_for(ledger, self.tenant.id, code) for code in _CURRENCIES
        }
        self.join_days = self._plan_join_days()
        self.customers: list[_Customer] = []
        self.available: defaultdict[tuple[UUID, str], Decimal] = defaultdict(Decimal)
        self.asked_today: defaultdict[tuple[UUID, str, int], Decimal] = defaultdict(Decimal)
        self.orders: list[_PaidOrder] = []
        self.payouts: list[_Payout] = []
        self.abandoned: list[tuple[UUID, datetime]] = []
        self.reversals: list[_Reversal] = []
        self.outbox: list[tuple[Work, Callable[[Result], None] | None]] = []
        self.day = 0
        self.serial = 0
        self.transfers = 0
        self.entries = 0

    def build(self) -> DemoHistory:
        for day in range(HISTORY_DAYS):
            self._live(day)
        return DemoHistory(
            customer_accounts=len(self.customers),
            sub_accounts=sum(1 for customer in self.customers if customer.parent is not None),
            transfers=self.transfers,
            entries=self.entries,
        )

    def _configure_wallet(self) -> None:
        """Top-ups wait 30 minutes; payouts cost a fixed fee plus 0.1 %, have a minimum and a
        daily maximum; the wallets and the card processor confirm top-ups by callback."""
        wallet_settings.update_settings(
            self.ledger,
            self.tenant.id,
            wallet_settings.SettingsChange(
                topup_expiry_seconds=TOPUP_EXPIRY_SECONDS,
                withdrawal_fee_percent=WITHDRAWAL_FEE_PERCENT,
                withdrawal_rules={
                    code: wallet_settings.RulesChange(
                        fee_fixed=Decimal(style.payout_fee),
                        minimum=Decimal(style.min_payout),
                        daily_maximum=Decimal(style.daily_payout_maximum),
                    )
                    for code, style in _CURRENCIES.items()
                },
            ),
        )
        for channel in sorted(_CONFIRMED_BY_CALLBACK):
            wallet_settings.configure_channel(self.ledger, self.tenant.id, channel)

    def _system_accounts(self, which: SystemAccount) -> dict[str, UUID]:
        return {
            code: self.ledger.system_account(self.tenant.id, which, code).id for code in _CURRENCIES
        }

    def _plan_join_days(self) -> dict[str, int]:
        """Most customers are there from the start; the others (and sub-accounts) join later."""
        days: dict[str, int] = {}
        for profile in _PROFILES:
            joined = 0 if self.randomness.random() < 0.7 else self.randomness.randint(5, 90)
            days[profile.name] = joined
            for sub_name in profile.sub_accounts:
                days[sub_name] = joined + self.randomness.randint(0, 20)
        return days

    def _live(self, day: int) -> None:
        self.day = day
        today = self.first_day + timedelta(days=day)
        growth = 0.7 + 0.6 * day / HISTORY_DAYS
        events = EVENTS_PER_DAY * growth * self.randomness.uniform(0.8, 1.2)
        for slot, (hour, share) in enumerate(SLOTS):
            moment = time(hour, self.randomness.randrange(60), self.randomness.randrange(60))
            self.clock.advance_to(datetime.combine(today, moment, tzinfo=self.zone).astimezone(UTC))
            if slot == 0:
                self._open_accounts()
            self._expire_abandoned_top_ups()
            self._decide_payouts(slot)
            for _ in range(round(events * share)):
                self._random_event()
            if slot == len(SLOTS) - 1:
                self._finance_corrections()
            self._flush()

    # -- the engine ---------------------------------------------------------------------------

    def _send(self, work: Work, then: Callable[[Result], None] | None = None) -> None:
        self.outbox.append((work, then))

    def _flush(self) -> None:
        """Submit the slot's commands and steps at once (the engine batches them, in order),
        then wait for each. A refusal raises here: the builder planned something the ledger
        does not accept."""
        sent: list[tuple[Future[Any], Callable[[Result], None] | None]] = [
            (
                self.ledger.submit_step(work)
                if isinstance(work, Step)
                else self.ledger.submit(work),
                then,
            )
            for work, then in self.outbox
        ]
        self.outbox.clear()
        for future, then in sent:
            result = future.result()
            self.transfers += len(result.transfers)
            self.entries += 2 * sum(
                1 for transfer in result.transfers if transfer.status is TransferStatus.POSTED
            )
            if then is not None:
                then(result)

    # -- accounts -----------------------------------------------------------------------------

    def _open_accounts(self) -> None:
        """Open the accounts of the people who join today; a sub-account never before its parent."""
        for number, profile in enumerate(_PROFILES, start=1):
            external_id = f"cust-{number:04d}"
            if self.join_days[profile.name] == self.day:
                self._open(profile, profile.name, external_id, profile.tags, None)
            parent = next((c for c in self.customers if c.name == profile.name), None)
            for index, sub_name in enumerate(profile.sub_accounts, start=1):
                if parent is not None and self.join_days[sub_name] == self.day:
                    sub_id = f"{external_id}-{index:02d}"
                    self._open(profile, sub_name, sub_id, ("sub-account",), parent)

    def _open(
        self,
        profile: _Profile,
        name: str,
        external_id: str,
        tags: tuple[str, ...],
        parent: _Customer | None,
    ) -> _Customer:
        handle = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        if profile.country in _WALLET_COUNTRIES:
            payout_channel = "alipay"
            payout_profile = {
                "alipay": handle.lower().replace(" ", ".") + "@example.com",
                "full_name": name,
            }
        else:
            payout_channel = "bank_transfer"
            digits = "".join(str(self.randomness.randrange(10)) for _ in range(10))
            payout_profile = {
                "bank": "Demo Bank",
                "account_number": f"{profile.country}00DEMO{digits}",
                "full_name": name,
            }
        account = self.ledger.create_account(
            self.tenant.id,
            external_id,
            name,
            parent_id=parent.account_id if parent else None,
            metadata={"country": profile.country},
            tags=tags,
            payout_profile=payout_profile,
        )
        customer = _Customer(
            account_id=account.id,
            name=name,
            country=profile.country,
            # A sub-account spends what its parent gives it, in the parent's main currency.
            currencies=profile.currencies[:1] if parent else profile.currencies,
            activity=self.randomness.choice((1, 2, 3, 5)) * (2 if "vip" in tags else 1),
            payout_channel=payout_channel,
            payout_profile=payout_profile,
            parent=parent,
        )
        if parent is not None:
            parent.sub_accounts.append(customer)
        self.customers.append(customer)
        return customer

    # -- money in -----------------------------------------------------------------------------

    def _make_room(self, customer: _Customer, currency: str, amount: Decimal) -> None:
        """Fund `customer` so `amount` can leave: a parent allocates, anyone else tops up."""
        shortfall = amount - self.available[customer.account_id, currency]
        if shortfall <= 0:
            return
        grant = self._round_sum(currency, shortfall)
        if customer.parent is None:
            self._top_up(customer, currency, grant)
        else:
            self._allocate(customer.parent, customer, currency, grant, "Budget for a purchase")

    def _round_sum(self, currency: str, at_least: Decimal) -> Decimal:
        """A round sum people would move: one of the usual two at or above `at_least`."""
        usual = [amount for amount in _CURRENCIES[currency].top_ups if amount >= at_least]
        if usual:
            return Decimal(self.randomness.choice(usual[:2]))
        return (at_least / 100).to_integral_value(ROUND_CEILING) * 100

    def _top_up(self, customer: _Customer, currency: str, amount: Decimal) -> None:
        """A recharge order that gets paid. Now and then a first attempt is declined or
        abandoned (it expires), and the customer pays through another channel."""
        channels = _CURRENCIES[currency].channels
        channel = self.randomness.choice(channels)
        roll = self.randomness.random()
        if roll < TOPUPS_DECLINED + TOPUPS_ABANDONED:
            topup_id = self._start_top_up(customer, currency, amount, channel)
            if roll < TOPUPS_DECLINED:
                self._send(
                    FailTopUp(
                        tenant_id=self.tenant.id,
                        topup_id=topup_id,
                        reason=_DECLINE_REASONS[channel],
                        **self._confirmer(channel),
                    )
                )
            else:
                expiry = self.clock.now() + timedelta(seconds=TOPUP_EXPIRY_SECONDS)
                self.abandoned.append((topup_id, expiry))
            channel = self.randomness.choice([c for c in channels if c != channel])
        topup_id = self._start_top_up(customer, currency, amount, channel)
        self._send(
            ConfirmTopUp(
                tenant_id=self.tenant.id,
                topup_id=topup_id,
                external_reference=f"{_PAYMENT_ID_PREFIXES[channel]}{self._date_serial('%Y%m%d')}",
                via=(
                    ConfirmedVia.CALLBACK if channel in _CONFIRMED_BY_CALLBACK else ConfirmedVia.API
                ),
                note=None if channel in _CONFIRMED_BY_CALLBACK else "Matched on the bank statement",
                account_id=customer.account_id,
                currency=currency,
                world_account_id=self.world[currency],
                **self._confirmer(channel),
            )
        )
        self.available[customer.account_id, currency] += amount

    def _start_top_up(
        self, customer: _Customer, currency: str, amount: Decimal, channel: str
    ) -> UUID:
        topup_id = new_id()
        self._send(
            CreateTopUp(
                tenant_id=self.tenant.id,
                account_id=customer.account_id,
                amount=amount,
                currency=currency,
                channel=channel,
                topup_id=topup_id,
                expiry_seconds=TOPUP_EXPIRY_SECONDS,
            )
        )
        return topup_id

    @staticmethod
    def _confirmer(channel: str) -> dict[str, str | None]:
        """Who reports on a top-up: the channel's callback, or finance for bank transfers."""
        if channel in _CONFIRMED_BY_CALLBACK:
            return {"channel": channel, "operator": f"channel:{channel}"}
        return {"channel": None, "operator": FINANCE}

    def _expire_abandoned_top_ups(self) -> None:
        due = [topup_id for topup_id, expiry in self.abandoned if expiry <= self.clock.now()]
        self.abandoned = [(t, e) for t, e in self.abandoned if e > self.clock.now()]
        for topup_id in due:
            self._send(ExpireTopUp(tenant_id=self.tenant.id, topup_id=topup_id))

    def _allocate(
        self, giver: _Customer, receiver: _Customer, currency: str, amount: Decimal, note: str
    ) -> None:
        """Move budget between a parent and a sub-account (either way), funding the giver."""
        self._make_room(giver, currency, amount)
        parent, child = (giver, receiver) if receiver.parent is giver else (receiver, giver)
        self._send(
            Allocation(
                self.tenant.id,
                parent.account_id,
                child.account_id,
                amount,
                currency,
                reclaim=parent is receiver,
                note=note,
            ).command()
        )
        self.available[giver.account_id, currency] -= amount
        self.available[receiver.account_id, currency] += amount

    # -- what happens during a slot -------------------------------------------------------------

    def _random_event(self) -> None:
        events: tuple[tuple[Callable[[], None], int], ...] = (
            (self._order, 80),
            (self._spontaneous_top_up, 6),
            (self._refund, 4),
            (self._withdrawal, 3),
            (self._budget, 3),
            (self._reclaim, 1),
            (self._cancellation, 1),
        )
        happen = self.randomness.choices([e for e, _ in events], [w for _, w in events])[0]
        happen()

    def _order(self) -> None:
        customer = self.randomness.choices(
            self.customers, [customer.activity for customer in self.customers]
        )[0]
        currency = self.randomness.choice(customer.currencies[:1] * 3 + customer.currencies)
        amount, tag, title = self._basket(currency)
        tags = (tag, "promo") if self.randomness.random() < 0.1 else (tag,)
        country = (
            customer.country
            if self.randomness.random() < 0.9
            else self.randomness.choice(CROSS_BORDER_COUNTRIES)
        )
        self._make_room(customer, currency, amount)
        day = self.day
        self._send(
            ChargeOrder(
                tenant_id=self.tenant.id,
                account_id=customer.account_id,
                order_number=f"ORD-{self._date_serial('%y%m%d')}",
                title=title,
                amount=amount,
                currency=currency,
                image_url=f"https://cdn.demo-platform.example/catalogue/{tag}.jpg",
                country_code=country,
                tags=tags,
                revenue_account_id=self.revenue[currency],
            ),
            lambda paid: self.orders.append(_PaidOrder(customer, paid.record, amount, day)),
        )
        self.available[customer.account_id, currency] -= amount

    def _basket(self, currency: str) -> tuple[Decimal, str, str]:
        """(price, tag, title) of something from the catalogue, or of metered API usage."""
        style = _CURRENCIES[currency]
        if self.randomness.random() < 0.15:
            requests = self.randomness.randint(40, 3000)
            price = requests * USAGE_PRICE_PER_REQUEST * style.price_scale
            smallest = Decimal(1).scaleb(-style.decimals)
            return (
                price.quantize(smallest, ROUND_HALF_UP),
                "usage",
                f"Translation API, {requests} requests",
            )
        product = self.randomness.choice(_CATALOGUE)
        dollars = Decimal(self.randomness.randint(product.low_cents, product.high_cents)) / 100
        whole = (dollars * style.price_scale).to_integral_value(ROUND_CEILING)
        return whole - self.randomness.choice(RETAIL_PRICE_ENDINGS), product.tag, product.name

    def _spontaneous_top_up(self) -> None:
        customer = self._some_top_level_customer()
        currency = self.randomness.choice(customer.currencies)
        self._top_up(
            customer, currency, Decimal(self.randomness.choice(_CURRENCIES[currency].top_ups))
        )

    def _refund(self) -> None:
        if not self.orders:
            return
        order = self.randomness.choice(self.orders[-REFUNDABLE_ORDERS:])
        if order.cancelled or order.refunded == order.amount:
            return
        remaining = order.amount - order.refunded
        note, in_full = self.randomness.choice(_REFUND_REASONS)
        amount = remaining
        if not in_full:
            smallest = Decimal(1).scaleb(-_CURRENCIES[order.order.currency].decimals)
            amount = max((remaining / 2).quantize(smallest, ROUND_DOWN), smallest)
        self._send_refund(order, amount, note)

    def _send_refund(self, order: _PaidOrder, amount: Decimal, reason: str) -> None:
        record = order.order
        self._send(
            RefundOrder(
                tenant_id=self.tenant.id,
                order_id=record.id,
                amount=amount,
                reason=reason,
                operator=SUPPORT,
                order_number=record.order_number,
                account_id=record.account_id,
                currency=record.currency,
                revenue_account_id=self.revenue[record.currency],
            )
        )
        order.refunded += amount
        self.available[record.account_id, record.currency] += amount

    def _cancellation(self) -> None:
        """Refund in full an order paid since yesterday that nothing was refunded from."""
        if not self.orders:
            return
        order = self.randomness.choice(self.orders[-CANCELLABLE_ORDERS:])
        if order.cancelled or order.refunded or order.day < self.day - 1:
            return
        self._send_refund(order, order.amount, self.randomness.choice(_CANCELLATION_REASONS))
        order.cancelled = True

    def _withdrawal(self) -> None:
        """Ask for a payout of part of a balance (held at once); finance decides a day or two
        later."""
        customer = self._some_top_level_customer()
        currency = self.randomness.choice(customer.currencies)
        style = _CURRENCIES[currency]
        asked = self.asked_today[customer.account_id, currency, self.day]
        share = Decimal(self.randomness.randint(30, 90)) / 100
        amount = min(
            (self.available[customer.account_id, currency] * share).to_integral_value(ROUND_DOWN),
            style.daily_payout_maximum - asked,
        )
        if amount < style.min_payout:
            return
        due = (self.day + self.randomness.randint(1, 2), self.randomness.randrange(len(SLOTS)))
        outcomes = [name for name, _ in PAYOUT_OUTCOMES]
        outcome = self.randomness.choices(outcomes, [w for _, w in PAYOUT_OUTCOMES])[0]
        destination = "Alipay" if customer.payout_channel == "alipay" else "the bank"
        self._send(
            CreateWithdrawal(
                tenant_id=self.tenant.id,
                account_id=customer.account_id,
                amount=amount,
                currency=currency,
                channel=customer.payout_channel,
                note=f"Payout to {destination}",
                policy=self.policies[currency],
                payout_profile=customer.payout_profile,
            ),
            lambda held: self.payouts.append(_Payout(held.record, customer, amount, due, outcome)),
        )
        self.available[customer.account_id, currency] -= amount
        self.asked_today[customer.account_id, currency, self.day] += amount

    def _decide_payouts(self, slot: int) -> None:
        """Finance works through the payouts that are due: pays them (some after the customer
        lowered the amount), rejects some; a few customers cancel, a few payouts bounce."""
        now = (self.day, slot)
        due = [payout for payout in self.payouts if payout.due <= now]
        self.payouts = [payout for payout in self.payouts if payout.due > now]
        for payout in due:
            withdrawal = payout.withdrawal
            available = (payout.customer.account_id, withdrawal.currency)

            if payout.outcome == "cancelled":
                self._move(withdrawal, WithdrawalAction.CANCEL, reason="Cancelled by the customer")
                self.available[available] += payout.amount
                continue
            if payout.outcome == "rejected":
                reason = self.randomness.choice(_REJECTED_PAYOUT_REASONS)
                self._move(withdrawal, WithdrawalAction.REJECT, reason=reason, operator=FINANCE)
                self.available[available] += payout.amount
                continue
            if payout.outcome == "edited":
                lowered = (payout.amount * Decimal("0.6")).to_integral_value(ROUND_DOWN)
                if lowered >= _CURRENCIES[withdrawal.currency].min_payout:
                    self._send(EditWithdrawal(amount=lowered, **self._on(withdrawal)))
                    self.available[available] += payout.amount - lowered
            self._move(withdrawal, WithdrawalAction.APPROVE, operator=FINANCE)
            if payout.outcome == "failed":
                reason = self.randomness.choice(_FAILED_PAYOUT_REASONS)
                self._move(withdrawal, WithdrawalAction.FAIL, reason=reason, operator=FINANCE)
                self.available[available] += payout.amount
                continue
            prefix = "ALIPAY" if withdrawal.channel == "alipay" else "SEPA"
            self._move(
                withdrawal,
                WithdrawalAction.PAY,
                payout_reference=f"{prefix}-{self._date_serial('%Y%m%d')}",
                operator=FINANCE,
            )

    def _move(self, withdrawal: Withdrawal, action: WithdrawalAction, **fields: Any) -> None:
        self._send(MoveWithdrawal(action=action, **self._on(withdrawal), **fields))

    def _on(self, withdrawal: Withdrawal) -> dict[str, Any]:
        """What every step on an existing withdrawal names."""
        return {
            "tenant_id": self.tenant.id,
            "withdrawal_id": withdrawal.id,
            "policy": self.policies[withdrawal.currency],
            "account_id": withdrawal.account_id,
            "currency": withdrawal.currency,
            "day": withdrawal.day,
        }

    def _budget(self) -> None:
        """A reseller tops up one of its sub-accounts' budgets."""
        parents = [customer for customer in self.customers if customer.sub_accounts]
        if not parents:
            return
        parent = self.randomness.choice(parents)
        sub_account = self.randomness.choice(parent.sub_accounts)
        currency = sub_account.currencies[0]
        amount = Decimal(self.randomness.choice(_CURRENCIES[currency].top_ups[:3]))
        self._allocate(parent, sub_account, currency, amount, "Weekly budget")

    def _reclaim(self) -> None:
        """A reseller takes back half of what a sub-account has not spent."""
        sub_accounts = [customer for customer in self.customers if customer.parent is not None]
        if not sub_accounts:
            return
        sub_account = self.randomness.choice(sub_accounts)
        assert sub_account.parent is not None
        currency = sub_account.currencies[0]
        unspent = self.available[sub_account.account_id, currency]
        amount = (unspent / 2).to_integral_value(ROUND_DOWN)
        if amount > 0:
            self._allocate(
                sub_account, sub_account.parent, currency, amount, "Unused budget returned"
            )

    def _finance_corrections(self) -> None:
        """The day's hand-made adjustments, and the reversals of earlier ones due today."""
        for adjustment in _ADJUSTMENTS:
            if adjustment.day == self.day:
                self._adjust(adjustment)
        due = [r for r in self.reversals if r.due_day == self.day]
        self.reversals = [r for r in self.reversals if r.due_day != self.day]
        for reversal in due:
            self._make_room(reversal.customer, reversal.currency, reversal.amount)
            self._send(
                ReverseTransfer(
                    self.tenant.id, reversal.transfer_id, note=reversal.note, operator=FINANCE
                )
            )
            self.available[reversal.customer.account_id, reversal.currency] -= reversal.amount

    def _adjust(self, adjustment: _Adjustment) -> None:
        """Finance corrects a balance by hand, in the customer's favour or not."""
        holders = [
            customer
            for customer in self.customers
            if customer.parent is None and adjustment.currency in customer.currencies
        ]
        customer = max(holders, key=lambda c: self.available[c.account_id, adjustment.currency])
        amount = Decimal(adjustment.amount)
        if adjustment.credit:
            debit, credit = self.revenue[adjustment.currency], customer.account_id
        else:
            self._make_room(customer, adjustment.currency, amount)
            debit, credit = customer.account_id, self.world[adjustment.currency]
        reversal_note = adjustment.reversal_note
        day = self.day
        self._send(
            CreateTransfer(
                self.tenant.id,
                debit,
                credit,
                amount,
                adjustment.currency,
                TransferType.ADJUSTMENT,
                References(note=adjustment.note, operator=FINANCE),
            ),
            None
            if reversal_note is None
            else lambda made: self.reversals.append(
                _Reversal(
                    day + 1, made.transfer.id, customer, adjustment.currency, amount, reversal_note
                )
            ),
        )
        self.available[customer.account_id, adjustment.currency] += (
            amount if adjustment.credit else -amount
        )

    # -- small helpers ------------------------------------------------------------------------

    def _some_top_level_customer(self) -> _Customer:
        return self.randomness.choice([c for c in self.customers if c.parent is None])

    def _date_serial(self, date_format: str) -> str:
        """Today's local date and a running number: unique order numbers and references."""
        self.serial += 1
        return f"{self.clock.now().astimezone(self.zone):{date_format}}-{self.serial:05d}"
