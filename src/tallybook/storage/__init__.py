"""Storage: tables, the database connection, migrations and the queries the core needs.

Only the ledger core and this package touch money rows. Nothing here decides a business rule;
it reads and writes what the core tells it to.
"""
