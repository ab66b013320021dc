"""Sealing one personal value under its subject's key, and wrapping subject keys under the
master key (envelope encryption).

AES-256-GCM with a synthetic nonce: the nonce is an HMAC of the value, so sealing the same value
of the same subject at the same path always gives the same token. That keeps an event's content
the same when it is sent again (idempotent retries compare content), and it never reuses a
nonce for another value, which GCM cannot survive. The subject id and the path are bound in as
associated data, so a token moved to another field or subject does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.canonical import canonical_json

KEY_BYTES = 32
_NONCE_BYTES = 12


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


class SubjectKey:
    """A subject's key, ready to seal and open many values (the cipher and the nonce key are
    made once, not per value)."""

    __slots__ = ("_cipher", "_nonce_key", "subject")

    def __init__(self, subject: UUID, key: bytes) -> None:
        self.subject = subject
        self._cipher = AESGCM(key)
        self._nonce_key = hashlib.sha256(b"ptrack-privacy-nonce\x00" + key).digest()

    def seal(self, path: str, value: Any) -> str:
        plaintext = canonical_json(value)
        nonce = hmac.digest(self._nonce_key, path.encode() + b"\x00" + plaintext, "sha256")
        nonce = nonce[:_NONCE_BYTES]
        sealed = self._cipher.encrypt(nonce, plaintext, _bound(self.subject, path))
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, path: str, token: str) -> Any:
        """The value sealed in `token` (raises `cryptography.exceptions.InvalidTag` when the
        token was not sealed by this key for this subject and path)."""
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        return orjson.loads(self._cipher.decrypt(nonce, sealed, _bound(self.subject, path)))


def wrap(master: bytes, subject: UUID, key: bytes) -> bytes:
    """A subject's key under the master key, as the database keeps it."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, key, b"ptrack-subject-key\x00" + subject.bytes)


def unwrap(master: bytes, subject: UUID, wrapped: bytes) -> bytes:
    nonce, sealed = wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:]
    return AESGCM(master).decrypt(nonce, sealed, b"ptrack-subject-key\x00" + subject.bytes)


def lookup_key(master: bytes) -> bytes:
    """The key of `handle_digest`, derived from the master key."""
    return hashlib.sha256(b"ptrack-privacy-handle\x00" + master).digest()


def handle_digest(lookup: bytes, normalised_handle: str) -> bytes:
    """What the database keeps to find a subject by its handle: a keyed hash, so the table
    names nobody to whoever reads it without the master key."""
    return hmac.digest(lookup, normalised_handle.encode(), "sha256")


def _bound(subject: UUID, path: str) -> bytes:
    return subject.bytes + path.encode()
