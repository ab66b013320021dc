"""The data subjects' keys: made when a subject is first recorded, kept in PostgreSQL wrapped
under a master key that is not in the database, destroyed when the subject is erased.

- The master key is a file (`privacy-master.key` in the key directory), made on first use. Every
  process that records or reads personal data needs the same file; the database alone opens
  nothing.
- `<schema>.subject_keys` holds each subject's key, wrapped. `<schema>.handles` finds a subject by
  what names it (`person:Kari Nordmann`), as a keyed hash: the table names nobody.
- Erasing a subject first appends its id to `erased-subjects` in the key directory, then deletes
  its key and handles. A database restored from a backup taken before the erasure holds the key
  again; every keyring deletes the keys of the subjects that file names when it opens, and never
  opens them meanwhile. So the file must be kept with the master key, never restored from an
  older copy, and backed up as the master key is.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from shared.privacy import crypto
from shared.privacy.personal import Handle, erased_value
from shared.settings import Settings
from shared.store.postgres import checked_identifier

MASTER_KEY_FILE = "privacy-master.key"
TOMBSTONES_FILE = "erased-subjects"

_SQL = """
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.subject_keys (
    subject_id  uuid        PRIMARY KEY,
    wrapped     bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {schema}.handles (
    digest      bytea PRIMARY KEY,
    subject_id  uuid  NOT NULL REFERENCES {schema}.subject_keys ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS handles_by_subject ON {schema}.handles (subject_id);
"""


class NoKeyring(RuntimeError):
    """Sealed personal data met by a process that was given no keyring."""


class Keyring:
    def __init__(
        self, pool: asyncpg.Pool[asyncpg.Record], schema: str, key_dir: Path, master: bytes
    ) -> None:
        self.pool = pool
        self.schema = checked_identifier(schema)
        self.key_dir = key_dir
        self._master = master
        self._lookup = crypto.lookup_key(master)
        self._digests: dict[Handle, bytes] = {}
        self._keys: dict[UUID, crypto.SubjectKey | None] = {}
        """Subject keys opened so far; None for a subject erased (or never known here)."""
        self._found: dict[bytes, UUID] = {}
        """Subjects found by handle digest so far (recording many entries of one person asks
        the database once)."""
        self.unopened: Callable[[UUID], str] = erased_value
        """What a sealed value reads as when its key is not here: erased, where the keys are
        kept; `withheld_value` for a keyring made apart from them (an auditor's replay)."""

    @classmethod
    async def start(cls, pool: asyncpg.Pool[asyncpg.Record], schema: str, key_dir: Path) -> Keyring:
        keyring = cls(pool, schema, key_dir, master_key(key_dir))
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", f"ptrack:privacy:{keyring.schema}"
            )
            await conn.execute(_SQL.replace("{schema}", keyring.schema))
        await keyring.forget_erased()
        return keyring

    # -- recording ---------------------------------------------------------------------------

    async def subjects(self, handles: Iterable[Handle]) -> dict[Handle, UUID]:
        """The subject each handle names, made (with a key) where none is known yet."""
        wanted = {handle: self._digest(handle) for handle in handles}
        if not wanted:
            return {}
        found = await self._find(list(wanted.values()))
        missing = [handle for handle, digest in wanted.items() if digest not in found]
        if missing:
            await self._make(missing)
            found = await self._find(list(wanted.values()))
        return {handle: found[digest] for handle, digest in wanted.items()}

    async def find(self, handle: Handle) -> UUID | None:
        """The subject a handle names, if any was recorded."""
        return (await self._find([self._digest(handle)])).get(self._digest(handle))

    async def _find(self, digests: list[bytes]) -> dict[bytes, UUID]:
        found = {digest: self._found[digest] for digest in digests if digest in self._found}
        unknown = [digest for digest in digests if digest not in found]
        if unknown:
            rows = await self.pool.fetch(
                f"SELECT digest, subject_id FROM {self.schema}.handles WHERE digest = ANY($1)",
                unknown,
            )
            for row in rows:
                found[bytes(row["digest"])] = row["subject_id"]
            self._found.update(found)
        return found

    async def _make(self, handles: Sequence[Handle]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            for handle in handles:
                subject = uuid4()
                key = crypto.new_key()
                # Two processes may make the same subject at once: the first handle wins, and
                # the loser's key is removed with its unused subject.
                await conn.execute(
                    f"INSERT INTO {self.schema}.subject_keys (subject_id, wrapped) VALUES ($1, $2)",
                    subject,
                    crypto.wrap(self._master, subject, key),
                )
                inserted = await conn.fetchval(
                    f"INSERT INTO {self.schema}.handles (digest, subject_id) VALUES ($1, $2) "
                    "ON CONFLICT (digest) DO NOTHING RETURNING true",
                    self._digest(handle),
                    subject,
                )
                if inserted:
                    self._keys[subject] = crypto.SubjectKey(subject, key)
                else:
                    await conn.execute(
                        f"DELETE FROM {self.schema}.subject_keys WHERE subject_id = $1", subject
                    )

    def _digest(self, handle: Handle) -> bytes:
        digest = self._digests.get(handle)
        if digest is None:
            digest = self._digests[handle] = crypto.handle_digest(self._lookup, handle.normalised)
        return digest

    # -- keys ----------------------------------------------------------------------------------

    async def load(self, subjects: Iterable[UUID]) -> None:
        """Open the keys of these subjects (those not opened yet) for `key`."""
        wanted = [subject for subject in set(subjects) if subject not in self._keys]
        if not wanted:
            return
        rows = await self.pool.fetch(
            f"SELECT subject_id, wrapped FROM {self.schema}.subject_keys "
            "WHERE subject_id = ANY($1)",
            wanted,
        )
        # A subject erased is never wanted here: its key is held as None from the start
        # (`forget_erased`), or from its erasure (`erase`, `forget`).
        wrapped = {row["subject_id"]: bytes(row["wrapped"]) for row in rows}
        for subject in wanted:
            stored = wrapped.get(subject)
            self._keys[subject] = (
                None
                if stored is None
                else crypto.SubjectKey(subject, crypto.unwrap(self._master, subject, stored))
            )

    def key(self, subject: UUID) -> crypto.SubjectKey | None:
        """The subject's key, once `load`ed (or made here); None when it is gone."""
        return self._keys.get(subject)

    def seal(self, subject: UUID, path: str, value: Any) -> str:
        key = self._keys.get(subject)
        if key is None:
            raise LookupError(f"no key for subject {subject}: load it first")
        return key.seal(path, value)

    def unseal(self, subject: UUID, path: str, token: str) -> Any:
        """The sealed value, or None when the subject's key is gone (erased)."""
        key = self._keys.get(subject)
        return None if key is None else key.open(path, token)

    # -- erasing -------------------------------------------------------------------------------

    @property
    def channel(self) -> str:
        """Where every process sharing the keyring hears of an erasure (payload: the subject)."""
        return f"{self.schema}_erased"

    async def erase(self, subject: UUID) -> bool:
        """Destroy the subject's key and handles, and tell every process sharing the keyring;
        False when there was no key to destroy."""
        self._remember_erased(subject)
        self.forget(subject)
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                f"DELETE FROM {self.schema}.subject_keys WHERE subject_id = $1", subject
            )
            await conn.execute("SELECT pg_notify($1, $2)", self.channel, str(subject))
        return status != "DELETE 0"

    def forget(self, subject: UUID) -> None:
        """Drop what this process holds of a subject erased by another one."""
        self._keys[subject] = None
        self._found = {digest: found for digest, found in self._found.items() if found != subject}

    def _erased_on_disk(self) -> set[UUID]:
        """The subjects erased, as the key directory remembers them."""
        path = self.key_dir / TOMBSTONES_FILE
        if not path.exists():
            return set()
        return {UUID(line) for line in path.read_text().split() if line}

    async def forget_erased(self) -> int:
        """Delete the keys of erased subjects (a database restored from an older backup holds
        them again), and hold them as gone in this process. Returns how many were deleted."""
        erased = sorted(self._erased_on_disk())
        if not erased:
            return 0
        status = await self.pool.execute(
            f"DELETE FROM {self.schema}.subject_keys WHERE subject_id = ANY($1)", erased
        )
        for subject in erased:
            self._keys[subject] = None
        return int(status.split()[-1])

    def _remember_erased(self, subject: UUID) -> None:
        # Written and flushed to disk before the key is deleted: an erasure the database forgets
        # (a restore) is still one.
        path = self.key_dir / TOMBSTONES_FILE
        self.key_dir.mkdir(parents=True, exist_ok=True)
        with path.open("a") as tombstones:
            tombstones.write(f"{subject}\n")
            tombstones.flush()
            os.fsync(tombstones.fileno())


async def open_keyring(pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> Keyring:
    """The keyring every service and command of one deployment shares."""
    return await Keyring.start(pool, settings.schema_for("privacy"), settings.key_dir_for_privacy)


def master_key(key_dir: Path) -> bytes:
    """The master key, made on first use (readable by its owner only). Made whole in a file of
    its own, then linked in place: services starting together all read the one that won."""
    path = key_dir / MASTER_KEY_FILE
    if not path.exists():
        if key_dir.exists() and not os.access(key_dir, os.W_OK):
            raise PermissionError(
                f"{path} is missing and {key_dir} is read-only: create the key there once, "
                "the same file for every service (docs/privacy.md)"
            )
        key_dir.mkdir(parents=True, exist_ok=True)
        draft = key_dir / f".{MASTER_KEY_FILE}.{os.getpid()}.{uuid4().hex}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(crypto.new_key())
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    key = path.read_bytes()
    if len(key) != crypto.KEY_BYTES:
        raise ValueError(f"{path} is not a {crypto.KEY_BYTES}-byte key")
    return key
