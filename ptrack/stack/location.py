"""Where the running stack is: `ptrack up` writes `<home>/stack.json`; other commands read it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from shared.settings import Settings


def home() -> Path:
    return Path(os.environ.get("PTRACK_HOME", ".ptrack")).resolve()


@dataclass
class StackInfo:
    database_url: str
    nats_url: str
    services: dict[str, str] = field(default_factory=dict)
    prometheus_url: str | None = None
    office_url: str | None = None

    def save(self, directory: Path) -> None:
        (directory / "stack.json").write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> StackInfo | None:
        path = directory / "stack.json"
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))


def database_url() -> str:
    if url := os.environ.get("PTRACK_DATABASE_URL"):
        return url
    if (info := StackInfo.load(home())) is not None:
        return info.database_url
    raise SystemExit("no database: set PTRACK_DATABASE_URL or run `ptrack up` first")


def nats_url() -> str | None:
    if url := os.environ.get("PTRACK_NATS_URL"):
        return url
    if (info := StackInfo.load(home())) is not None:
        return info.nats_url
    return None


def service_url(name: str) -> str:
    if url := os.environ.get(f"PTRACK_{name.upper()}_URL"):
        return url.rstrip("/")
    if (info := StackInfo.load(home())) is not None and name in info.services:
        return info.services[name]
    from ptrack.stack.catalog import SERVICES

    return f"http://127.0.0.1:{SERVICES[name].port}"


def service_urls() -> dict[str, str]:
    """Every service's base URL, by name."""
    from ptrack.stack.catalog import SERVICES

    return {name: service_url(name) for name in SERVICES}


def admin_key() -> str:
    if key := os.environ.get("PTRACK_API_KEY"):
        return key
    path = home() / "admin.key"
    if path.exists():
        return path.read_text().strip()
    raise SystemExit("no API key: set PTRACK_API_KEY or run `ptrack up` first")


def command_settings() -> Settings:
    """Settings for a command run beside the stack: its database, NATS and key directory (the
    privacy master key and the list of erased subjects are there, as the services see them)."""
    values: dict[str, object] = {"database_url": database_url()}
    if (url := nats_url()) is not None:
        values["nats_url"] = url
    if "PTRACK_SIGNING_KEY_DIR" not in os.environ:
        values["signing_key_dir"] = home() / "keys"
    return Settings.model_validate(values)
