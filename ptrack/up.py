"""`ptrack up`: the whole stack on this machine, in the foreground, until Ctrl-C.

PostgreSQL and NATS come from `PTRACK_DATABASE_URL` / `PTRACK_NATS_URL` when set; otherwise
embedded servers are started with their data under the home directory (default `.ptrack/`), so
data survives a restart. Every service runs as a child process and is restarted if it dies.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from ptrack.catalog import SERVICES
from ptrack.demo import run_demo
from ptrack.plan import read_plan
from ptrack.plan_check import check_plan, format_finding
from ptrack.plan_load import NeedsRevision, load_plan
from ptrack.processes import ServiceProcess
from ptrack.stack import StackInfo
from shared.auth import Role, auth_sql, create_key, list_keys
from shared.db import create_pool
from shared.servers import NatsServer, free_port, port_answers, start_embedded_postgres
from shared.settings import Settings
from shared.store.postgres import migrate

EMBEDDED_NATS_PORT = 14222
RULES = Path(__file__).resolve().parent.parent / "deploy" / "prometheus" / "rules"
"""The alert and recording rules, where the source tree is at hand (a development install)."""


def say(message: str) -> None:
    print(f"ptrack: {message}", flush=True)


def _ensure_key(database_url: str, schema: str, key_file: Path, role: Role) -> str:
    """The key from an earlier run if it is still valid, else a new one (saved 0600)."""
    earlier = key_file.read_text().strip() if key_file.exists() else None
    token = asyncio.run(_valid_or_new_key(database_url, schema, earlier, role))
    if token != earlier:
        key_file.write_text(token + "\n")
        key_file.chmod(0o600)
    return token


async def _valid_or_new_key(database_url: str, schema: str, earlier: str | None, role: Role) -> str:
    pool = await create_pool(database_url, min_size=1, max_size=2, wait_seconds=30)
    try:
        await migrate(pool, schema, auth_sql(schema))
        if earlier is not None:
            key_id = earlier.split("_")[1] if earlier.count("_") >= 2 else ""
            active = {k.key_id for k in await list_keys(pool, schema) if k.revoked_at is None}
            if key_id in active:
                return earlier
        token, _ = await create_key(pool, schema, name=f"{role} (ptrack up)", role=role)
        return token
    finally:
        await pool.close()


def _start_prometheus(
    home: Path, children: Sequence[ServiceProcess]
) -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("prometheus")
    if binary is None:
        return None
    port = 9090 if not port_answers("127.0.0.1", 9090) else free_port()
    targets = ", ".join(f'"127.0.0.1:{child.port}"' for child in children)
    config = home / "prometheus.yml"
    rules = f"rule_files: ['{RULES}/*.rules.yml']\n" if RULES.is_dir() else ""
    config.write_text(
        "global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n"
        f"{rules}"
        "scrape_configs:\n  - job_name: ptrack\n"
        f"    authorization:\n      credentials_file: {home / 'prometheus.key'}\n"
        f"    static_configs:\n      - targets: [{targets}]\n"
    )
    log = open(home / "logs" / "prometheus.log", "ab")  # noqa: SIM115
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
    return process, f"http://127.0.0.1:{port}"


def up(
    home: Path,
    plan_file: Path | None,
    services: Sequence[str] | None = None,
    *,
    demo: bool = False,
) -> int:
    if plan_file is not None:
        _check(plan_file)
    home.mkdir(parents=True, exist_ok=True)
    (home / "logs").mkdir(exist_ok=True)
    settings = Settings()
    stopping = False

    def on_signal(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    database_url = os.environ.get("PTRACK_DATABASE_URL")
    if not database_url:
        say(f"starting embedded PostgreSQL in {home / 'pg'}")
        database_url = start_embedded_postgres(home / "pg")
    nats: NatsServer | None = None
    nats_url = os.environ.get("PTRACK_NATS_URL")
    if not nats_url:
        port = (
            EMBEDDED_NATS_PORT if not port_answers("127.0.0.1", EMBEDDED_NATS_PORT) else free_port()
        )
        say(f"starting embedded NATS (JetStream) on port {port}, data in {home / 'nats'}")
        nats = NatsServer(home / "nats", port)
        nats.start()
        nats_url = nats.url

    auth = settings.schema_for("auth")
    token = _ensure_key(database_url, auth, home / "admin.key", "admin")
    # Prometheus scrapes with a key of its own that can only read.
    _ensure_key(database_url, auth, home / "prometheus.key", "manager")
    env = {
        **os.environ,
        "PTRACK_DATABASE_URL": database_url,
        "PTRACK_NATS_URL": nats_url,
        "PTRACK_SIGNING_KEY_DIR": str(home / "keys"),
    }
    children = [
        ServiceProcess(name, env, home / "logs", SERVICES[name].port)
        for name in (services or SERVICES)
    ]
    prometheus: tuple[subprocess.Popen[bytes], str] | None = None
    try:
        for child in children:
            if port_answers("127.0.0.1", child.port):
                raise SystemExit(
                    f"port {child.port} for {child.service} is taken; is ptrack up already?"
                )
            child.start(wait=False)
        for child in children:
            try:
                child.wait_ready()
            except (RuntimeError, TimeoutError) as error:
                raise SystemExit(str(error)) from None
            say(f"{child.service} ready at {child.url}")
        prometheus = _start_prometheus(home, children)
        StackInfo(
            database_url=database_url,
            nats_url=nats_url,
            services={child.service: child.url for child in children},
            prometheus_url=prometheus[1] if prometheus else None,
        ).save(home)
        if plan_file is not None:
            try:
                for line in load_plan(
                    read_plan(plan_file), {c.service: c.url for c in children}, token
                ):
                    say(line)
            except NeedsRevision as error:
                say(f"{error}; the stack runs with the plan loaded before")
        if demo:
            say("posting the demo history (demo data, clearly labelled as such)")
            say(run_demo({c.service: c.url for c in children}, token).report())
        _print_summary(children, database_url, nats_url, prometheus, token, home)
        while not stopping:
            time.sleep(0.5)
            for child in children:
                if child.exited() and not stopping:
                    child.restarts += 1
                    code = child.process.returncode if child.process else None
                    say(f"{child.service} exited ({code}); restarting")
                    child.start(wait=False)
    finally:
        say("stopping")
        for child in children:
            child.stop()
        if prometheus is not None:
            prometheus[0].terminate()
            prometheus[0].wait(10)
        if nats is not None:
            nats.stop()
        (home / "stack.json").unlink(missing_ok=True)
    say("stopped")
    return 0


def _check(plan_file: Path) -> None:
    """A plan with errors is refused before anything starts; warnings are shown."""
    findings = check_plan(plan_file)
    for finding in findings:
        say(format_finding(plan_file, finding))
    if any(finding.level == "error" for finding in findings):
        raise SystemExit(f"{plan_file} has errors; fix them or start without --plan")


def _print_summary(
    children: Sequence[ServiceProcess],
    database_url: str,
    nats_url: str,
    prometheus: tuple[subprocess.Popen[bytes], str] | None,
    token: str,
    home: Path,
) -> None:
    lines = ["", "ptrack is up. Ctrl-C stops everything; data stays in " + str(home), ""]
    for child in children:
        lines.append(f"  {child.service:<10} {child.url}   (API docs: {child.url}/docs)")
    lines.append(f"  {'postgres':<10} {database_url}")
    lines.append(f"  {'nats':<10} {nats_url}")
    if prometheus is not None:
        lines.append(f"  {'prometheus':<10} {prometheus[1]}")
    finance = next((c.url for c in children if c.service == "finance"), None)
    lines += ["", f"  admin key: {token}", f"  (also in {home / 'admin.key'})", ""]
    if finance:
        lines += [
            "  Try:",
            f"    curl -s -H 'Authorization: Bearer {token}' "
            f"{finance}/projects/kongsbergregionen-2010/budget",
            "",
        ]
    print("\n".join(lines), flush=True)
