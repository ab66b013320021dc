"""docker-compose.yml and its config files: the Compose schema, and what the schema cannot see.

No Docker engine is needed: nothing is built or started.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from itertools import repeat
from pathlib import Path
from typing import Any

import pytest
import yaml

from ptrack.stack.catalog import OFFICE, PROCESSES, SERVICES, ServiceEntry
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"

Service = dict[str, Any]


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def services() -> dict[str, Service]:
    found: dict[str, Service] = load(COMPOSE)["services"]
    return found


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    # Beside the interpreter, so the check cannot be skipped for want of it on PATH.
    tool = Path(sys.executable).parent / "check-jsonschema"
    assert tool.exists(), f"{tool} missing: install the dev extra"
    command = [str(tool), "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def port_range(value: int | str) -> list[int]:
    first, _, last = str(value).partition("-")
    return list(range(int(first), int(last or first) + 1))


def published(service: Service) -> list[tuple[int, int, str]]:
    """(host port, container port, protocol) for each port bound to a fixed host port."""
    found: list[tuple[int, int, str]] = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            host, target = entry.get("published"), entry["target"]
            protocol = entry.get("protocol", "tcp")
        else:
            spec, _, protocol = str(entry).partition("/")
            # rsplit keeps an IPv6 host address such as [::1] in one piece.
            *rest, target = spec.rsplit(":", 2)
            host = rest[-1] if rest else None
        if host not in (None, ""):  # otherwise Docker picks a free host port
            found += zip(port_range(host), port_range(target), repeat(protocol or "tcp"))
    return found


def environment(service: Service) -> dict[str, str | None]:
    """A service's environment, given as a mapping or as a list of `KEY=VALUE`."""
    found = service.get("environment") or {}
    if isinstance(found, dict):
        return {key: None if value is None else str(value) for key, value in found.items()}
    pairs = [str(item).partition("=") for item in found]
    return {key: value if separator else None for key, separator, value in pairs}


def dependencies(service: Service) -> set[str]:
    """The services a service depends on, given as a list or as a mapping with conditions."""
    return set(service.get("depends_on") or [])


def mounts(service: Service) -> list[tuple[str, str]]:
    """(type, source) of each bind mount and named volume."""
    found: list[tuple[str, str]] = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            if "source" in entry:
                found.append((entry["type"], entry["source"]))
            continue
        source, separator, _ = entry.partition(":")
        if separator:  # a bare container path is an anonymous volume
            found.append(("bind" if source.startswith((".", "/")) else "volume", source))
    return found


def test_compose_file_matches_the_compose_spec() -> None:
    result = check_compose(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("where", ["top level", "service"])
def test_schema_check_rejects_a_broken_file(tmp_path: Path, where: str) -> None:
    compose = load(COMPOSE)
    broken = compose if where == "top level" else next(iter(compose["services"].values()))
    broken["no_such_field"] = True
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(compose))
    assert check_compose(path).returncode != 0


def test_build_contexts_have_their_dockerfile() -> None:
    missing = []
    for name, service in services().items():
        build = service.get("build")
        if build is None:
            continue
        if isinstance(build, str):
            build = {"context": build}
        dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        if not dockerfile.is_file():
            missing.append(f"{name}: {dockerfile}")
    assert not missing


def test_bind_mounted_paths_exist() -> None:
    missing = [
        f"{name}: {source}"
        for name, service in services().items()
        for kind, source in mounts(service)
        if kind == "bind" and not (ROOT / source).exists()
    ]
    assert not missing


def test_named_volumes_are_declared() -> None:
    declared = load(COMPOSE).get("volumes") or {}
    undeclared = [
        f"{name}: {source}"
        for name, service in services().items()
        for kind, source in mounts(service)
        if kind == "volume" and source not in declared
    ]
    assert not undeclared


def test_port_parsing() -> None:
    service: Service = {
        "ports": [
            "8103:8103",
            "127.0.0.1:9090:9091",
            "[::1]:53:53/udp",
            "7000-7001:8000-8001",
            "9000",
            "127.0.0.1::9001",
            {"target": 80, "published": "8080", "host_ip": "127.0.0.1"},
            {"target": 81},
        ]
    }
    assert published(service) == [
        (8103, 8103, "tcp"),
        (9090, 9091, "tcp"),
        (53, 53, "udp"),
        (7000, 8000, "tcp"),
        (7001, 8001, "tcp"),
        (8080, 80, "tcp"),
    ]


def test_no_two_services_publish_the_same_host_port() -> None:
    owners: dict[tuple[int, str], list[str]] = defaultdict(list)
    for name, service in services().items():
        for host, _, protocol in published(service):
            owners[host, protocol].append(name)
    assert not {port: names for port, names in owners.items() if len(names) > 1}


@pytest.mark.parametrize("entry", list(PROCESSES.values()), ids=list(PROCESSES))
def test_every_catalog_process_is_in_compose(entry: ServiceEntry) -> None:
    service = services().get(entry.name)
    assert service is not None, f"add {entry.name} to docker-compose.yml"
    assert (entry.port, entry.port) in [(host, target) for host, target, _ in published(service)]
    assert service["command"][:2] == ["serve", entry.name]
    # Listening beyond the container's loopback, or the published port reaches nothing.
    assert service["command"][2:] == ["--host", "0.0.0.0"]
    # Healthy when ready, asked on its own port.
    probe = " ".join(service["healthcheck"]["test"])
    assert f"http://localhost:{entry.port}/readyz" in probe
    assert service["restart"] == "unless-stopped"


@pytest.mark.parametrize("entry", list(SERVICES.values()), ids=list(SERVICES))
def test_services_reach_postgres_and_nats(entry: ServiceEntry) -> None:
    service = services()[entry.name]
    env = environment(service)
    assert (env.get("PTRACK_DATABASE_URL") or "").startswith("postgresql://")
    assert "@postgres:5432/" in (env.get("PTRACK_DATABASE_URL") or "")
    assert env.get("PTRACK_NATS_URL") == "nats://nats:4222"
    assert {"postgres", "nats"} <= dependencies(service)


def test_office_calls_the_services_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    office = services()[OFFICE.name]
    env = environment(office)
    # No log, so no database and no NATS: only the services over HTTP.
    assert "PTRACK_DATABASE_URL" not in env
    assert "PTRACK_NATS_URL" not in env
    # Every service by its compose name and catalog port, read as the process reads it.
    urls = env.get("PTRACK_OFFICE_SERVICE_URLS")
    assert urls is not None
    monkeypatch.setenv("PTRACK_OFFICE_SERVICE_URLS", urls)
    expected = {name: f"http://{name}:{entry.port}" for name, entry in SERVICES.items()}
    assert Settings().office_service_urls == expected
    assert set(SERVICES) <= dependencies(office)
    # The cookie secret comes from the environment of whoever starts the stack: no value in
    # this file (an empty default, or a required variable, but never a written-down secret).
    secret = env.get("PTRACK_OFFICE_SECRET")
    assert secret is not None
    assert re.fullmatch(r"\$\{PTRACK_OFFICE_SECRET(:?-|:?\?[^}]*)?\}", secret), secret


@pytest.mark.parametrize("entry", list(SERVICES.values()), ids=list(SERVICES))
def test_prometheus_scrapes_every_catalog_service(entry: ServiceEntry) -> None:
    jobs = {job["job_name"]: job for job in load(PROMETHEUS)["scrape_configs"]}
    targets = [target for group in jobs["ptrack"]["static_configs"] for target in group["targets"]]
    assert f"{entry.name}:{entry.port}" in targets


def test_prometheus_config_is_valid() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not on PATH")
    command = [promtool, "check", "config", str(PROMETHEUS)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
