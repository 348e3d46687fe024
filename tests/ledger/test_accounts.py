"""Setting up where money lives: tenants, currencies, accounts, sub-accounts, system accounts."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from tallybook.ledger import CreateTransfer, Ledger, errors
from tallybook.model import AccountKind, AccountStatus, SystemAccount, TransferType
from tests.support import open_book, top_up


def test_a_tenant_needs_a_real_time_zone(ledger: Ledger) -> None:
    assert ledger.create_tenant("Shop", time_zone="Asia/Shanghai").time_zone == "Asia/Shanghai"
    with pytest.raises(errors.ValidationError) as refused:
        ledger.create_tenant("Shop", time_zone="Mars/Olympus")
    assert refused.value.field == "time_zone"


def test_currencies_take_iso_decimals_unless_told_otherwise(ledger: Ledger) -> None:
    tenant = ledger.create_tenant("Shop")
    assert ledger.configure_currency(tenant.id, "JPY").decimals == 0
    assert ledger.configure_currency(tenant.id, "USD", 3).decimals == 3
    with pytest.raises(errors.InvalidCurrency):
        ledger.configure_currency(tenant.id, "POINTS")
    assert ledger.configure_currency(tenant.id, "POINTS", 0).decimals == 0
    with pytest.raises(errors.InvalidCurrency):
        ledger.configure_currency(tenant.id, "EUR", 9)
    with pytest.raises(errors.TenantNotFound):
        ledger.configure_currency(uuid4(), "EUR")


def test_a_currency_in_use_keeps_its_decimals(ledger: Ledger) -> None:
    book = open_book(ledger, "USD", 3)
    assert ledger.configure_currency(book.tenant.id, "USD", 3).decimals == 3
    top_up(ledger, book, book.alice, "1.000")
    with pytest.raises(errors.Conflict) as refused:
        ledger.configure_currency(book.tenant.id, "USD", 2)
    assert refused.value.field == "decimals"


def test_external_ids_are_unique_per_tenant_only(ledger: Ledger) -> None:
    first, second = ledger.create_tenant("A"), ledger.create_tenant("B")
    ledger.create_account(first.id, "user-1", "One")
    ledger.create_account(second.id, "user-1", "One elsewhere")
    with pytest.raises(errors.DuplicateAccount):
        ledger.create_account(first.id, "user-1", "One again")
    with pytest.raises(errors.ValidationError) as refused:
        ledger.create_account(first.id, "@world:CNY", "Impostor")
    assert refused.value.field == "external_id"


def test_a_sub_account_hangs_under_a_parent_of_the_same_tenant(ledger: Ledger) -> None:
    first, second = ledger.create_tenant("A"), ledger.create_tenant("B")
    parent = ledger.create_account(first.id, "agent", "Agent", payout_profile={"alipay": "a@x"})
    child = ledger.create_account(first.id, "sub-agent", "Sub-agent", parent_id=parent.id)
    assert child.parent_id == parent.id
    assert parent.payout_profile == {"alipay": "a@x"}
    with pytest.raises(errors.AccountNotFound) as refused:
        ledger.create_account(second.id, "stranger", "Stranger", parent_id=parent.id)
    assert refused.value.field == "parent_id"


def test_system_accounts_are_made_once_per_currency(ledger: Ledger) -> None:
    book = open_book(ledger)
    again = ledger.system_account(book.tenant.id, SystemAccount.WORLD, "CNY")
    assert again.id == book.world and again.kind is AccountKind.SYSTEM
    assert (
        ledger.system_account(book.tenant.id, SystemAccount.FEES, "CNY").external_id == "@fees:CNY"
    )
    with pytest.raises(errors.UnknownCurrency):
        ledger.system_account(book.tenant.id, SystemAccount.WORLD, "EUR")
    with pytest.raises(errors.ValidationError):
        ledger.freeze(book.tenant.id, book.world)


def test_system_accounts_may_go_negative_customers_may_not(ledger: Ledger) -> None:
    book = open_book(ledger)
    top_up(ledger, book, book.alice, "1.00")
    assert ledger.balance(book.tenant.id, book.world, "CNY").posted == -100
    with pytest.raises(errors.InsufficientFunds):
        ledger.execute(
            CreateTransfer(
                book.tenant.id,
                book.bob,
                book.world,
                Decimal("0.01"),
                "CNY",
                TransferType.WITHDRAWAL,
            )
        )


def test_another_tenants_account_does_not_exist(ledger: Ledger) -> None:
    book, other = open_book(ledger), open_book(ledger)
    with pytest.raises(errors.AccountNotFound):
        ledger.get_account(other.tenant.id, book.alice)
    with pytest.raises(errors.AccountNotFound):
        ledger.freeze(other.tenant.id, book.alice)
    assert ledger.get_account(book.tenant.id, book.alice).status is AccountStatus.ACTIVE
