"""The fixtures work where no PostgreSQL or NATS answers: forced onto the embedded servers,
the store contract and a finance round trip still pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_suite_runs_on_embedded_servers_alone() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
    env["PTRACK_TEST_SERVERS"] = "embedded"
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
            "tests/integration/test_store_contract.py::test_the_chain_links_every_event_to_the_one_before",
            "tests/integration/test_finance_api.py::test_a_booking_shows_in_the_budget_and_on_metrics",
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "test servers: embedded" in result.stdout
    assert "3 passed" in result.stdout
