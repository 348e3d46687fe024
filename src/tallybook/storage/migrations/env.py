"""Alembic environment: always runs on a connection handed in by tallybook.storage.migrate."""

from alembic import context
from sqlalchemy import Connection

from tallybook.storage.tables import metadata

connection = context.config.attributes["connection"]
assert isinstance(connection, Connection)
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
