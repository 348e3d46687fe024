"""Turning balance history into files people and programs open: CSV, JSON Lines, PDF.

Shared by the HTTP API and the command line; amounts are rendered from integer minor units
with the currency's decimals, never through floats.
"""
