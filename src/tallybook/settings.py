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
    # Why 5 ms and not off: docs/performance.md, "with the engine's gather window on".
    engine_max_batch_wait_seconds: float = Field(
        default=0.005,
        ge=0,
        le=1,
        description="when commands queue up while a batch commits (the engine is busy), how "
        "long the engine keeps gathering more into the next batch; a command on an idle engine "
        "never waits (not on a served SQLite database, whose batches run on the event loop: "
        "the next one is what arrived during the last commit)",
    )
    engine_max_attempts: int = Field(
        default=5,
        ge=1,
        le=50,
        description="tries of one batch after deadlocks or lost races before giving up",
    )
    api_key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="how long a server process remembers a live API key instead of reading it "
        "per request; a key revoked by another process keeps working at most this long (0: "
        "read every time)",
    )
    metrics_enabled: bool = Field(
        default=True,
        description="serve Prometheus metrics at /metrics, unauthenticated (request counts "
        "and latencies by route, engine batch sizes, lock, commit and transaction times, "
        "retries; no tenant data)",
    )
    access_log: bool = Field(
        default=True,
        description="the app writes one line per request to standard output, in bulk (up "
        "to a second late; see tallybook.api.access_log); `tallybook serve --no-access-log` "
        "turns it off for one run",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="larger request bodies are refused with 413 (a 1,000-transfer batch fits)",
    )
    hold_expiry_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often the server releases holds whose timeout has passed and marks "
        "top-ups past their expiry expired",
    )
    drf_surface_enabled: bool = Field(
        default=True,
        description="serve seed 000's DRF-style balance API under /api/balance/",
    )
    certcentral_surface_enabled: bool = Field(
        default=True,
        description="serve seed 001's DigiCert CertCentral balance history under /services/v2/",
    )
    directmail_surface_enabled: bool = Field(
        default=True,
        description="serve seed 002's DirectMail scoreLogList under /user/",
    )
    drf_wallet_currency: str = Field(
        default="CNY",
        pattern=r"^[A-Z][A-Z0-9]{2,9}$",
        description="the currency of the DRF wallet's `balance` when a request names none",
    )
