"""A service as a child process (`ptrack serve`): for `ptrack up`, and for tests that kill and
restart it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from shared.client import is_ready
from shared.servers import free_port
from shared.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process see these settings."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        env[f"PTRACK_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    return env


class ServiceProcess:
    def __init__(
        self, service: str, env: Mapping[str, str], log_dir: Path, port: int | None = None
    ) -> None:
        self.service = service
        self.env = dict(env)
        self.port = port or free_port()
        self.log_path = log_dir / f"{service}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ptrack.cli", "serve", self.service, "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            self.wait_ready()

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def log_tail(self, size: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exited():
                raise RuntimeError(f"{self.service} exited while starting:\n{self.log_tail()}")
            if is_ready(self.url):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.service} not ready within {timeout:.0f}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine loses power."""
        self.stop(signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
