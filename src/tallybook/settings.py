"""Runtime settings, read from `TALLYBOOK_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/tallybook.db"


class Settings(BaseSettings):
    """Everything an operator can tune; the defaults run one process on a SQLite file."""

    model_config = SettingsConfigDict(env_prefix="TALLYBOOK_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path or postgresql://user@host/db",
    )
    engine_max_batch_commands: int = Field(
        default=2000,
        ge=1,
        le=100_000,
        description="most commands the posting engine applies in one database transaction",
    )
    engine_max_attempts: int = Field(
        default=5,
        ge=1,
        le=50,
        description="tries of one batch after deadlocks or lost races before giving up",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
