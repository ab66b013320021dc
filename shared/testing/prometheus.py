"""A real Prometheus server for tests: scrapes the given targets, evaluates the given rule files,
and answers PromQL over its HTTP API.

Each server has its own config, storage and log in a directory the caller owns, and listens on
a free loopback port, so tests can run several side by side and next to a developer's own
Prometheus on 9090.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from shared.servers import free_port

INSTALL_HINT = "install it with scripts/install-prometheus.sh"


class PrometheusError(RuntimeError):
    pass


class PrometheusServer:
    """`prometheus` as a child process. Use as a context manager, or call start() and stop().

    Intervals are short by default so a test sees a scrape and a rule evaluation within seconds.
    """

    def __init__(
        self,
        directory: Path,
        targets: Sequence[str],
        *,
        rule_files: Sequence[Path] = (),
        job: str = "ptrack",
        scrape_interval: str = "1s",
        evaluation_interval: str = "1s",
        port: int | None = None,
        binary: str | None = None,
        bearer_token: str | None = None,
    ) -> None:
        self.directory = directory
        self.targets = list(targets)
        self.rule_files = [path.resolve() for path in rule_files]
        self.job = job
        self.scrape_interval = scrape_interval
        self.evaluation_interval = evaluation_interval
        self.port = port or free_port()
        self.binary = binary or shutil.which("prometheus")
        self.bearer_token = bearer_token
        """The API key Prometheus scrapes with (the services' /metrics need a reader's)."""
        self.config_path = directory / "prometheus.yml"
        self.storage_path = directory / "prometheus-data"
        self.log_path = directory / "prometheus.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(base_url=self.url, timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        return {
            "global": {
                "scrape_interval": self.scrape_interval,
                "evaluation_interval": self.evaluation_interval,
            },
            # Absolute paths: Prometheus resolves relative ones against the config's folder,
            # which is a temporary directory here.
            "rule_files": [str(path) for path in self.rule_files],
            "scrape_configs": [
                {
                    "job_name": self.job,
                    "static_configs": [{"targets": self.targets}],
                    **(
                        {"authorization": {"credentials": self.bearer_token}}
                        if self.bearer_token
                        else {}
                    ),
                }
            ],
        }

    def start(self, timeout: float = 60.0) -> None:
        if self.binary is None:
            raise PrometheusError(f"no prometheus binary on PATH: {INSTALL_HINT}")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.storage_path}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                # Lets a test reload a changed config (POST /-/reload) without a restart.
                "--web.enable-lifecycle",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so a Ctrl-C in the test run reaches it only through stop().
            start_new_session=True,
        )
        log.close()
        try:
            self._wait(lambda: self._get("/-/ready").status_code == 200, timeout, "ready")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        self._http.close()

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, size: int = 3000) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-size:]

    def reload(self) -> None:
        """Re-read the config and rule files (after writing new ones)."""
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        response = self._http.post("/-/reload")
        if response.status_code != 200:
            raise PrometheusError(f"reload failed: {response.status_code} {response.text}")

    def query(self, expr: str) -> list[Any]:
        """The `result` of an instant query now: for a vector, one
        {"metric": {...}, "value": [time, "value"]} per series; empty when nothing matches."""
        result: list[Any] = self._api("/api/v1/query", query=expr)["result"]
        return result

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[Any]:
        """Query until the result is not empty (a scrape or an evaluation has happened)."""
        found: list[Any] = []

        def has_result() -> bool:
            nonlocal found
            found = self.query(expr)
            return bool(found)

        self._wait(has_result, timeout, f"a result for {expr!r}")
        return found

    def targets_status(self) -> list[dict[str, Any]]:
        active: list[dict[str, Any]] = self._api("/api/v1/targets", state="active")["activeTargets"]
        return active

    def wait_for_targets_up(self, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Wait until every configured target has been scraped successfully at least once."""
        active: list[dict[str, Any]] = []

        def all_up() -> bool:
            nonlocal active
            active = self.targets_status()
            up = {target["labels"]["instance"] for target in active if target["health"] == "up"}
            return up >= set(self.targets)

        try:
            self._wait(all_up, timeout, "every target up")
        except TimeoutError as error:
            health = {t["labels"]["instance"]: (t["health"], t["lastError"]) for t in active}
            raise TimeoutError(f"{error}; targets: {health}") from None
        return active

    def rules(self) -> list[dict[str, Any]]:
        """Rule groups as loaded, each with its rules' health and last evaluation."""
        groups: list[dict[str, Any]] = self._api("/api/v1/rules")["groups"]
        return groups

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts pending or firing now, with their labels, annotations and state."""
        alerts: list[dict[str, Any]] = self._api("/api/v1/alerts")["alerts"]
        return alerts

    def _get(self, path: str, **params: str) -> httpx.Response:
        return self._http.get(path, params=params)

    def _api(self, path: str, **params: str) -> dict[str, Any]:
        response = self._get(path, **params)
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise PrometheusError(f"{path}: {response.status_code} {response.text[:500]}") from None
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {response.status_code} {body}")
        data: dict[str, Any] = body["data"]
        return data

    def _wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise PrometheusError(
                    f"prometheus exited ({self.process.returncode}) while waiting for {what}:\n"
                    f"{self.log_tail()}"
                )
            try:
                if condition():
                    return
            except httpx.TransportError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout:.0f}s")
            time.sleep(0.2)
