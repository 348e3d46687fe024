"""Keys with which each seed's example client works exactly as written, for `tallybook demo`.

Each key is scoped to an account chosen for its seed:

- seed 001 (CertCentral): its client sends no `container_id`, so the key's account must be a
  single division — a top-level account without sub-accounts, with some history;
- seed 002 (DirectMail): an agent with sub-agents, like the seed's sample — a top-level account
  with sub-accounts;
- seed 000 (DRF): a user's token — a write key (it reads its wallet and edits its payout
  profile; balance writes stay with admin keys) on a top-level account with history in the
  wallet currency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from uuid import UUID

from tallybook.auth.keys import issue_key
from tallybook.ledger import Ledger
from tallybook.ledger.queries import AccountQuery, EntryQuery, Slice
from tallybook.model import Account, AccountKind, Role

ACCOUNTS_PER_READ = 200


@dataclass(frozen=True, slots=True)
class SeedKey:
    """A key (shown once) and the account it is scoped to."""

    secret: str
    account_number: int
    account_name: str


@dataclass(frozen=True, slots=True)
class SeedKeys:
    """One key per seed surface; None when the tenant has no account that fits."""

    drf: SeedKey | None
    certcentral: SeedKey | None
    directmail: SeedKey | None


def issue_seed_keys(ledger: Ledger, tenant_id: UUID, wallet_currency: str = "CNY") -> SeedKeys:
    """Issue the three keys (each call issues new ones: a key is shown only once)."""

    def has_sub_accounts(account: Account) -> bool:
        children = AccountQuery(tenant_id, parent_id=account.id)
        return ledger.slice_accounts(children, Slice(limit=0)).total > 0

    def has_history(account: Account, currency: str | None = None) -> bool:
        lines = EntryQuery(tenant_id, account_ids=frozenset({account.id}), currency=currency)
        return ledger.slice_entries(lines, Slice(limit=0)).total > 0

    def key_for(fits: Callable[[Account], bool], name: str, role: Role) -> SeedKey | None:
        account = next((a for a in _top_level_accounts(ledger, tenant_id) if fits(a)), None)
        if account is None:
            return None
        secret = issue_key(ledger, tenant_id, name, role, account.id)[1]
        return SeedKey(secret=secret, account_number=account.number, account_name=account.name)

    return SeedKeys(
        drf=key_for(lambda a: has_history(a, wallet_currency), "seed 000 client (DRF)", Role.WRITE),
        certcentral=key_for(
            lambda a: not has_sub_accounts(a) and has_history(a),
            "seed 001 client (CertCentral)",
            Role.READ,
        ),
        directmail=key_for(has_sub_accounts, "seed 002 client (DirectMail)", Role.READ),
    )


def _top_level_accounts(ledger: Ledger, tenant_id: UUID) -> Iterator[Account]:
    """The tenant's customer accounts without a parent, in number order."""
    query = AccountQuery(tenant_id, kind=AccountKind.CUSTOMER)
    offset = 0
    while True:
        page = ledger.slice_accounts(
            query, Slice(offset=offset, limit=ACCOUNTS_PER_READ, newest_first=False)
        )
        yield from (account for account in page.items if account.parent_id is None)
        offset += ACCOUNTS_PER_READ
        if offset >= page.total:
            return
