"""`ptrack up`: the whole stack on this machine, in the foreground, until Ctrl-C.

PostgreSQL and NATS come from `PTRACK_DATABASE_URL` / `PTRACK_NATS_URL` when set; otherwise
embedded servers are started with their data under the home directory (default `.ptrack/`), so
data survives a restart. Every service runs as a child process and is restarted if it dies.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ptrack.command import DEFAULT_PROJECT
from ptrack.demo.run import run_demo
from ptrack.plan.check import check_plan, format_finding
from ptrack.plan.load import NeedsRevision, load_plan
from ptrack.plan.model import read_plan
from ptrack.stack.catalog import OFFICE, SERVICES
from ptrack.stack.keys import kept_key
from ptrack.stack.location import StackInfo
from ptrack.stack.processes import ServiceProcess
from ptrack.stack.prometheus import Prometheus, start_prometheus
from shared.servers import NatsServer, free_port, port_answers, start_embedded_postgres

EMBEDDED_NATS_PORT = 14222
OFFICE_PERSON = "Kari Nordmann (demo manager)"
"""The person `ptrack up` makes a sign-in key for, so the office can be tried at once."""


def say(message: str) -> None:
    print(f"ptrack: {message}", flush=True)


@dataclass
class _Servers:
    """PostgreSQL and NATS: as configured, or embedded (`nats` is then ours to stop)."""

    database_url: str
    nats_url: str
    nats: NatsServer | None = None


class _Stop:
    """Set by Ctrl-C or SIGTERM: the foreground loop ends and everything is stopped."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, _: FrameType | None) -> None:
        self.requested = True


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
    stop = _Stop()
    servers = _start_servers(home)
    token = kept_key(servers.database_url, home / "admin.key", "admin")
    # Prometheus scrapes with a key of its own that can only read.
    kept_key(servers.database_url, home / "prometheus.key", "manager")
    wanted = list(services or [*SERVICES, OFFICE.name])
    children = [
        ServiceProcess(name, _service_env(home, servers), home / "logs", SERVICES[name].port)
        for name in wanted
        if name in SERVICES
    ]
    office: ServiceProcess | None = None
    prometheus: Prometheus | None = None
    try:
        _start_services(children)
        prometheus = start_prometheus(home, [child.port for child in children])
        urls = {child.service: child.url for child in children}
        office_key = None
        if OFFICE.name in wanted and set(urls) == set(SERVICES):
            office_key = kept_key(
                servers.database_url, home / "office-manager.key", "manager", OFFICE_PERSON
            )
            office = ServiceProcess(
                OFFICE.name, _office_env(home, servers, urls), home / "logs", OFFICE.port
            )
            _start_services([office])
        StackInfo(
            database_url=servers.database_url,
            nats_url=servers.nats_url,
            services=urls,
            prometheus_url=prometheus.url if prometheus else None,
            office_url=office.url if office else None,
        ).save(home)
        if plan_file is not None:
            _load_plan(plan_file, urls, token)
        if demo:
            say("posting the demo history (demo data, clearly labelled as such)")
            say(run_demo(urls, token).report())
        everything = [*children, *([office] if office else [])]
        _print_summary(home, everything, servers, prometheus, token, office_key)
        _keep_running(everything, stop)
    finally:
        _stop_everything(home, [*children, *([office] if office else [])], prometheus, servers)
    say("stopped")
    return 0


def _check(plan_file: Path) -> None:
    """A plan with errors is refused before anything starts; warnings are shown."""
    findings = check_plan(plan_file)
    for finding in findings:
        say(format_finding(plan_file, finding))
    if any(finding.level == "error" for finding in findings):
        raise SystemExit(f"{plan_file} has errors; fix them or start without --plan")


def _start_servers(home: Path) -> _Servers:
    database_url = os.environ.get("PTRACK_DATABASE_URL")
    if not database_url:
        say(f"starting embedded PostgreSQL in {home / 'pg'}")
        database_url = start_embedded_postgres(home / "pg")
    if nats_url := os.environ.get("PTRACK_NATS_URL"):
        return _Servers(database_url, nats_url)
    port = EMBEDDED_NATS_PORT if not port_answers("127.0.0.1", EMBEDDED_NATS_PORT) else free_port()
    say(f"starting embedded NATS (JetStream) on port {port}, data in {home / 'nats'}")
    nats = NatsServer(home / "nats", port)
    nats.start()
    return _Servers(database_url, nats.url, nats)


def _service_env(home: Path, servers: _Servers) -> dict[str, str]:
    return {
        **os.environ,
        "PTRACK_DATABASE_URL": servers.database_url,
        "PTRACK_NATS_URL": servers.nats_url,
        "PTRACK_SIGNING_KEY_DIR": str(home / "keys"),
    }


def _office_env(home: Path, servers: _Servers, urls: Mapping[str, str]) -> dict[str, str]:
    """The office finds the services at their URLs; its session secret is kept in the home
    directory, so a restart does not sign everyone out."""
    secret_file = home / "office.secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32) + "\n")
        secret_file.chmod(0o600)
    return {
        **_service_env(home, servers),
        "PTRACK_OFFICE_SERVICE_URLS": json.dumps(dict(urls)),
        "PTRACK_OFFICE_SECRET": secret_file.read_text().strip(),
    }


def _start_services(children: Sequence[ServiceProcess]) -> None:
    """All started at once, then each waited for: they start side by side."""
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


def _load_plan(plan_file: Path, urls: Mapping[str, str], token: str) -> None:
    try:
        for line in load_plan(read_plan(plan_file), urls, token):
            say(line)
    except NeedsRevision as error:
        say(f"{error}; the stack runs with the plan loaded before")


def _print_summary(
    home: Path,
    children: Sequence[ServiceProcess],
    servers: _Servers,
    prometheus: Prometheus | None,
    token: str,
    office_key: str | None,
) -> None:
    lines = ["", "ptrack is up. Ctrl-C stops everything; data stays in " + str(home), ""]
    for child in children:
        docs = "" if child.service == OFFICE.name else f"   (API docs: {child.url}/docs)"
        lines.append(f"  {child.service:<10} {child.url}{docs}")
    lines.append(f"  {'postgres':<10} {servers.database_url}")
    lines.append(f"  {'nats':<10} {servers.nats_url}")
    if prometheus is not None:
        lines.append(f"  {'prometheus':<10} {prometheus.url}")
    finance = next((c.url for c in children if c.service == "finance"), None)
    lines += ["", f"  admin key: {token}", f"  (also in {home / 'admin.key'})", ""]
    office = next((c.url for c in children if c.service == OFFICE.name), None)
    if office and office_key:
        lines += [
            f"  The project office: {office}/signin",
            f"  sign in as {OFFICE_PERSON} with the key: {office_key}",
            f"  (also in {home / 'office-manager.key'}; more people: "
            'ptrack keys create --name "Kari Nordmann" --role manager)',
            "",
        ]
    if finance:
        lines += [
            "  Try:",
            f"    curl -s -H 'Authorization: Bearer {token}' "
            f"{finance}/projects/{DEFAULT_PROJECT}/budget",
            "",
        ]
    print("\n".join(lines), flush=True)


def _keep_running(children: Sequence[ServiceProcess], stop: _Stop) -> None:
    """Until stopped, restart any service that exits."""
    while not stop.requested:
        time.sleep(0.5)
        for child in children:
            if child.exited() and not stop.requested:
                child.restarts += 1
                code = child.process.returncode if child.process else None
                say(f"{child.service} exited ({code}); restarting")
                child.start(wait=False)


def _stop_everything(
    home: Path,
    children: Sequence[ServiceProcess],
    prometheus: Prometheus | None,
    servers: _Servers,
) -> None:
    say("stopping")
    for child in children:
        child.stop()
    if prometheus is not None:
        prometheus.stop()
    if servers.nats is not None:
        servers.nats.stop()
    (home / "stack.json").unlink(missing_ok=True)
