"""The local PostgreSQL server: fresh databases for each run, and its durability settings
(read, never changed: the suite measures the server as it is configured)."""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql


def database_url(server_url: str, name: str) -> str:
    """`postgresql://user@host:port` plus a database name."""
    return f"{server_url.rstrip('/')}/{name}"


def recreate_database(server_url: str, name: str) -> str:
    """Drop `name` if it exists (closing its connections) and create it empty; its URL."""
    try:
        with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        sys.exit(f"PostgreSQL at {server_url} is not reachable: {error}")
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def server_settings(server_url: str) -> dict[str, str]:
    """The server settings the report shows: those that decide whether an acknowledged commit
    survives a crash, whether the server keeps its planner's statistics by itself
    (autovacuum), and its version."""
    with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as connection:
        found: dict[str, str] = {}
        for setting in (
            "synchronous_commit",
            "fsync",
            "full_page_writes",
            "autovacuum",
            "server_version",
        ):
            row = connection.execute(sql.SQL("SHOW {}").format(sql.Identifier(setting))).fetchone()
            found[setting] = str(row[0]) if row else "?"
        return found
