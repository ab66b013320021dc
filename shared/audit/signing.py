"""Signed checkpoints: a service signs its log head (position and hash) with an Ed25519 key.

An auditor who keeps a checkpoint (and the public key in it) can later prove the log was not
rewritten wholesale since: even a rewrite with every hash recomputed changes the hash at the
checkpoint's position, and nobody without the private key can sign a new checkpoint for it.
The private key lives in a file (never in the database it vouches for).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from shared.canonical import canonical_json
from shared.db import Queryable
from shared.store.base import EventStore, LogHead


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class SignedCheckpoint:
    service: str
    position: int
    hash: bytes
    signed_at: datetime
    public_key: bytes
    """The raw Ed25519 public key that made the signature (32 bytes)."""
    signature: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def payload(self) -> bytes:
        return payload(self.service, self.position, self.hash, self.signed_at)

    def signature_valid(self, trusted_public_key: bytes | None = None) -> bool:
        """True if the signature holds, made by `trusted_public_key` when one is given (an
        auditor should trust the key they kept, not the one a checkpoint carries)."""
        key = trusted_public_key or self.public_key
        if trusted_public_key is not None and trusted_public_key != self.public_key:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(self.signature, self.payload())
        except (InvalidSignature, ValueError):
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "position": self.position,
            "hash": self.hash.hex(),
            "signed_at": self.signed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_key).decode(),
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedCheckpoint:
        return cls(
            service=data["service"],
            position=int(data["position"]),
            hash=bytes.fromhex(data["hash"]),
            signed_at=datetime.fromisoformat(data["signed_at"]),
            public_key=base64.b64decode(data["public_key"]),
            signature=base64.b64decode(data["signature"]),
        )


def payload(service: str, position: int, head_hash: bytes, signed_at: datetime) -> bytes:
    """What is signed: the service, its log head and the time, in one canonical spelling."""
    return canonical_json(
        {
            "service": service,
            "position": position,
            "hash": head_hash.hex(),
            "signed_at": signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
    )


class Signer:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        """The service's key from its PEM file, made (mode 0600) on first use."""
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path} does not hold an Ed25519 private key")
            return cls(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
        return cls(key)

    def sign(self, service: str, head: LogHead, at: datetime | None = None) -> SignedCheckpoint:
        # Microseconds only: the signed spelling must survive a round trip through PostgreSQL.
        signed_at = (at or datetime.now(UTC)).astimezone(UTC)
        signature = self._key.sign(payload(service, head.position, head.hash, signed_at))
        return SignedCheckpoint(
            service, head.position, head.hash, signed_at, self.public_key, signature
        )


def checkpoints_sql(schema: str) -> str:
    return f"""
CREATE TABLE IF NOT EXISTS {schema}.signed_checkpoints (
    id         bigserial   PRIMARY KEY,
    service    text        NOT NULL,
    position   bigint      NOT NULL,
    hash       bytea       NOT NULL,
    signed_at  timestamptz NOT NULL,
    public_key bytea       NOT NULL,
    signature  bytea       NOT NULL
);
"""


async def store_checkpoint(db: Queryable, schema: str, checkpoint: SignedCheckpoint) -> None:
    await db.execute(
        f"INSERT INTO {schema}.signed_checkpoints (service, position, hash, signed_at, "
        "public_key, signature) VALUES ($1, $2, $3, $4, $5, $6)",
        checkpoint.service,
        checkpoint.position,
        checkpoint.hash,
        checkpoint.signed_at,
        checkpoint.public_key,
        checkpoint.signature,
    )


async def list_checkpoints(db: Queryable, schema: str) -> list[SignedCheckpoint]:
    rows = await db.fetch(
        f"SELECT service, position, hash, signed_at, public_key, signature "
        f"FROM {schema}.signed_checkpoints ORDER BY id"
    )
    return [
        SignedCheckpoint(
            row["service"],
            row["position"],
            bytes(row["hash"]),
            row["signed_at"],
            bytes(row["public_key"]),
            bytes(row["signature"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class CheckpointCheck:
    checkpoint: SignedCheckpoint
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, "checkpoint": self.checkpoint.to_dict()}


async def check_checkpoint(
    checkpoint: SignedCheckpoint, store: EventStore, trusted_public_key: bytes | None = None
) -> CheckpointCheck:
    """Does the log still hold, at the checkpoint's position, the hash that was signed?"""
    if not checkpoint.signature_valid(trusted_public_key):
        return CheckpointCheck(checkpoint, False, "the signature does not hold for this key")
    found = [e async for e in store.read_all(checkpoint.position, checkpoint.position)]
    if not found:
        return CheckpointCheck(
            checkpoint, False, f"the log no longer reaches position {checkpoint.position}"
        )
    if found[0].hash != checkpoint.hash:
        return CheckpointCheck(
            checkpoint,
            False,
            f"the event at position {checkpoint.position} is not the one signed on "
            f"{checkpoint.signed_at:%Y-%m-%d %H:%M}: the log was rewritten up to there",
        )
    return CheckpointCheck(checkpoint, True, f"position {checkpoint.position} is as signed")
