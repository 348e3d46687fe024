"""HTTP surfaces: thin adapters that parse, call the ledger core, map errors and render."""
