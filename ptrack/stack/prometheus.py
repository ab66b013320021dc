"""Prometheus for `ptrack up`, when it is installed: scraping every service with the read-only
key `ptrack up` keeps in `<home>/prometheus.key`, with the project's alert and recording rules."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.servers import free_port, port_answers

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules"
"""The alert and recording rules, where the source tree is at hand (a development install)."""
PORT = 9090


@dataclass
class Prometheus:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_prometheus(home: Path, ports: Sequence[int]) -> Prometheus | None:
    """Prometheus scraping the services on these local ports; None when it is not installed."""
    binary = shutil.which("prometheus")
    if binary is None:
        return None
    port = PORT if not port_answers("127.0.0.1", PORT) else free_port()
    config = home / "prometheus.yml"
    config.write_text(_config(home, ports))
    log = open(home / "logs" / "prometheus.log", "ab")  # noqa: SIM115 - owned by the child
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={home / 'prometheus'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Prometheus(process, f"http://127.0.0.1:{port}")


def _config(home: Path, ports: Sequence[int]) -> str:
    targets = ", ".join(f'"127.0.0.1:{port}"' for port in ports)
    rules = f"rule_files: ['{RULES}/*.rules.yml']\n" if RULES.is_dir() else ""
    return (
        "global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n"
        f"{rules}"
        "scrape_configs:\n  - job_name: ptrack\n"
        f"    authorization:\n      credentials_file: {home / 'prometheus.key'}\n"
        f"    static_configs:\n      - targets: [{targets}]\n"
    )
