"""A signed-in person's session, kept in an encrypted, expiring cookie.

The office keeps no database of its own: the cookie holds the person's API key (so every call
to a service is theirs, and a revoked key ends the session at the next call), their name and
role as the services told them, the form token that guards against cross-site requests, and
their language. Fernet (AES in CBC mode with an HMAC, from `cryptography`) makes it unreadable
and tamper-proof to the browser; its timestamp makes it expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass, replace

import orjson
from cryptography.fernet import Fernet, InvalidToken

COOKIE = "ptrack_office"
LANG_COOKIE = "ptrack_lang"
"""The language chosen before signing in (a session keeps its own)."""
SIGN_IN_COOKIE = "ptrack_office_signin"
"""Holds the form token of the sign-in page, before there is a session (login CSRF)."""


@dataclass(frozen=True)
class Session:
    key: str
    """The person's API key, sent as the bearer token of every call the office makes for them."""
    key_id: str
    name: str
    role: str
    csrf: str
    """The form token every form of this session carries."""
    lang: str

    @property
    def may_record(self) -> bool:
        return self.role in RECORDING_ROLES

    def with_lang(self, lang: str) -> Session:
        return replace(self, lang=lang)


RECORDING_ROLES = frozenset({"manager", "admin"})
"""Roles whose keys may record facts (the services' `write` action, less the integration role,
which is for systems and does not sign in)."""
SIGN_IN_ROLES = frozenset({"manager", "auditor", "admin"})


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(sent: str | None, expected: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


class SessionSealer:
    """Turns sessions into cookie values and back. Every office replica needs the same secret;
    sessions end after `max_age_seconds` whatever the browser keeps."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        # Any secret text becomes a Fernet key: 32 bytes derived from it.
        digest = hashlib.sha256(b"ptrack office session\n" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self.max_age_seconds = max_age_seconds

    def seal(self, session: Session) -> str:
        return self._fernet.encrypt(orjson.dumps(asdict(session))).decode()

    def open(self, cookie: str | None) -> Session | None:
        """The session in `cookie`; None when there is none, it was altered, or it expired."""
        if not cookie:
            return None
        try:
            data = orjson.loads(self._fernet.decrypt(cookie.encode(), ttl=self.max_age_seconds))
            return Session(**data)
        except (InvalidToken, ValueError, TypeError):
            return None
