"""Tallybook: a self-hosted wallet and balance ledger service."""
