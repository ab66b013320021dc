"""Settings from the environment (prefix `PTRACK_`), one class for every service and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PTRACK_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    nats_url: str = "nats://127.0.0.1:4222"

    host: str = "127.0.0.1"
    port: int = 0
    """0 = the service's default port (see `ptrack.services.DEFAULT_PORTS`)."""

    schema_prefix: str = Field(default="", pattern=r"^[a-z_][a-z0-9_]*$|^$")
    """Prepended to every service schema; tests use it to isolate one test from another."""
    nats_stream: str = Field(default="PTRACK", pattern=r"^[A-Za-z0-9_-]+$")
    subject_prefix: str = Field(default="ptrack", pattern=r"^[A-Za-z0-9_-]+$")
    nats_replicas: int = Field(default=1, ge=1, le=5)
    duplicate_window_seconds: float = Field(default=3600.0, gt=0)
    """JetStream drops a republished event id within this window. It must exceed the relay's
    retry horizon; consumers also skip positions they have seen, so a late duplicate is harmless."""

    run_relay: bool = True
    run_projections: bool = True
    projection_catch_up_seconds: float = Field(default=3.0, gt=0)
    """A projection that gets no messages while the log is ahead reads the rest from the log
    after this long (JetStream lost messages, or the relay is down)."""

    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 4 * 1024**3
    """The body limit of routes that take whole files (a SAF-T export of a municipality's year
    can run to gigabytes); they stream it to disk, never into memory."""
    max_batch_events: int = 1000
    max_page_size: int = 1000
    read_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    """How long a query with `min_position` waits for the read model to catch up."""

    status_date: date | None = None
    """The day business metrics are computed for (default: today). Set it to look at a past
    project on the boards as it stood then."""

    anonymity_threshold: int = Field(default=5, ge=1)
    """Survey results for a group with fewer respondents than this are suppressed."""

    signing_key_dir: Path = Path(".ptrack/keys")
    """Where each service keeps its Ed25519 checkpoint key (`<service>.key`, made on first
    start). Keep it off the database server: the key vouches for the database."""
    privacy_key_dir: Path | None = None
    """Where the master key of personal data (`privacy-master.key`) and the list of erased
    subjects (`erased-subjects`) are kept; default: `signing_key_dir`. Every service needs the
    same two files. Keep them off the database server and out of its backups (docs/privacy.md)."""
    checkpoint_interval_seconds: float = Field(default=3600.0, ge=0)
    """How often a service signs its log head when it has moved (0: only on demand)."""

    rate_limit_per_second: float = Field(default=300.0, ge=0)
    """Requests a second per API key and process (0: no limit); above it, 429 + Retry-After."""
    rate_limit_burst: int = Field(default=600, ge=1)
    """Requests a key may make at once before the rate applies."""

    language: Literal["nb", "en"] | None = None
    """The language of what people read (reports, boards, exports, accounts) when a command is
    not told with `--lang`; unset, each project's plan decides (the default plan: bokmål)."""

    office_secret: str = ""
    """Encrypts the office's session cookies. Every office replica needs the same one; when
    empty, each process draws its own and its sessions end with it."""
    office_service_urls: dict[str, str] = Field(default_factory=dict)
    """Where the office finds each service, e.g. `{"finance": "http://finance:8103", ...}`
    (PTRACK_OFFICE_SERVICE_URLS as JSON)."""
    office_session_hours: float = Field(default=8.0, gt=0, le=336)
    """How long a sign-in lasts: a working day by default."""

    require_auth: bool = True
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def key_dir_for_privacy(self) -> Path:
        return self.privacy_key_dir or self.signing_key_dir

    def schema_for(self, service: str) -> str:
        return f"{self.schema_prefix}{service}"
