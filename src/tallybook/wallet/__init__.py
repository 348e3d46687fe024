"""The wallet flows: top-ups, withdrawals, orders and sub-account funding.

Each flow is a state machine over the ledger core's transfers. Every change of state is a step
of the posting engine (`ledger.steps`), so a record's new state and the money it moves commit
in one transaction, once. See docs/wallet-flows.md.
"""
