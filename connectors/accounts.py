"""Users, their API keys and their refresh tokens, in Cassandra.

Secrets are never stored: passwords as the Argon2id hash the caller made,
API keys and refresh tokens as the SHA-256 of the secret (long random
strings, where a slow hash adds nothing). Every method blocks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.cassandra import Cassandra, utc

SCOPES = ("upload", "read", "admin")  # what an API key may be allowed


def secret_hash(secret: str) -> str:
    """How API keys and refresh tokens are stored: their SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str | None
    is_admin: bool
    quota_bytes: int | None  # None: the default quota
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    id: str
    username: str
    name: str
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


@dataclass(frozen=True)
class KeyOwner:
    """What a presented key's hash resolves to."""

    id: str
    username: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class RefreshToken:
    username: str
    family: str
    expires_at: datetime
    spent: bool


_CREATE_USER = ("INSERT INTO users (username, password_hash, is_admin, quota_bytes, created_at) "
                "VALUES (?, ?, ?, ?, ?) IF NOT EXISTS")
_GET_USER = "SELECT username, password_hash, is_admin, quota_bytes, created_at FROM users WHERE username = ?"
_SET_QUOTA = "UPDATE users SET quota_bytes = ? WHERE username = ? IF EXISTS"
_PUT_KEY = "INSERT INTO api_keys (key_hash, id, username, scopes, revoked) VALUES (?, ?, ?, ?, false)"
_PUT_KEY_BY_USER = ("INSERT INTO api_keys_by_user (username, id, key_hash, name, prefix, scopes, created_at, "
                    "revoked) VALUES (?, ?, ?, ?, ?, ?, ?, false)")
_FIND_KEY = "SELECT id, username, scopes, revoked FROM api_keys WHERE key_hash = ?"
_LIST_KEYS = ("SELECT id, username, name, prefix, scopes, created_at, last_used_at, revoked "
              "FROM api_keys_by_user WHERE username = ?")
_KEY_HASH = "SELECT key_hash FROM api_keys_by_user WHERE username = ? AND id = ?"
_REVOKE_KEY = "UPDATE api_keys SET revoked = true WHERE key_hash = ?"
_REVOKE_KEY_BY_USER = "UPDATE api_keys_by_user SET revoked = true WHERE username = ? AND id = ?"
_TOUCH_KEY = "UPDATE api_keys_by_user SET last_used_at = ? WHERE username = ? AND id = ?"
_PUT_TOKEN = ("INSERT INTO refresh_tokens (token_hash, username, family, expires_at, spent) "
              "VALUES (?, ?, ?, ?, false) USING TTL ?")
_GET_TOKEN = "SELECT username, family, expires_at, spent FROM refresh_tokens WHERE token_hash = ?"
_SPEND_TOKEN = "UPDATE refresh_tokens SET spent = true WHERE token_hash = ? IF spent = false"
_PUT_FAMILY = "INSERT INTO token_families (family, username, revoked) VALUES (?, ?, false) USING TTL ?"
_REVOKE_FAMILY = "UPDATE token_families SET revoked = true WHERE family = ?"
_GET_FAMILY = "SELECT revoked FROM token_families WHERE family = ?"


class Accounts:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    # -- users ---------------------------------------------------------------

    def create_user(self, username: str, password_hash: str | None, is_admin: bool = False) -> bool:
        """False when the name is taken (a lightweight transaction: first one wins)."""
        row = self._db.execute(_CREATE_USER, (username, password_hash, is_admin, None, _now())).one()
        return bool(row.applied)

    def get_user(self, username: str) -> User | None:
        row = self._db.execute(_GET_USER, (username,)).one()
        if row is None:
            return None
        return User(row.username, row.password_hash, bool(row.is_admin), row.quota_bytes,
                    utc(row.created_at) or _now())

    def set_quota(self, username: str, quota_bytes: int) -> bool:
        return bool(self._db.execute(_SET_QUOTA, (quota_bytes, username)).one().applied)

    # -- API keys ------------------------------------------------------------

    def add_key(self, key_hash: str, key_id: str, username: str, name: str, prefix: str,
                scopes: frozenset[str]) -> None:
        self._db.batch((_PUT_KEY, (key_hash, key_id, username, set(scopes))),
                       (_PUT_KEY_BY_USER, (username, key_id, key_hash, name, prefix, set(scopes), _now())))

    def find_key(self, key_hash: str) -> KeyOwner | None:
        """The live key with this hash; None if unknown or revoked."""
        row = self._db.execute(_FIND_KEY, (key_hash,)).one()
        if row is None or row.revoked:
            return None
        return KeyOwner(row.id, row.username, frozenset(row.scopes or ()))

    def list_keys(self, username: str) -> list[ApiKey]:
        return [ApiKey(r.id, r.username, r.name, r.prefix, frozenset(r.scopes or ()),
                       utc(r.created_at) or _now(), utc(r.last_used_at), bool(r.revoked))
                for r in self._db.execute(_LIST_KEYS, (username,))]

    def revoke_key(self, username: str, key_id: str) -> bool:
        """False when the user has no such key."""
        row = self._db.execute(_KEY_HASH, (username, key_id)).one()
        if row is None:
            return False
        self._db.batch((_REVOKE_KEY, (row.key_hash,)), (_REVOKE_KEY_BY_USER, (username, key_id)))
        return True

    def touch_key(self, username: str, key_id: str) -> None:
        self._db.execute(_TOUCH_KEY, (_now(), username, key_id))

    # -- refresh tokens --------------------------------------------------------

    def start_family(self, family: str, username: str, ttl_s: int) -> None:
        self._db.execute(_PUT_FAMILY, (family, username, ttl_s))

    def add_refresh_token(self, token_hash: str, username: str, family: str, expires_at: datetime,
                          ttl_s: int) -> None:
        self._db.execute(_PUT_TOKEN, (token_hash, username, family, expires_at, ttl_s))

    def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = self._db.execute(_GET_TOKEN, (token_hash,)).one()
        if row is None:
            return None
        return RefreshToken(row.username, row.family, utc(row.expires_at) or _now(), bool(row.spent))

    def spend_refresh_token(self, token_hash: str) -> bool:
        """Mark the token used; False when it already was (a replay)."""
        return bool(self._db.execute(_SPEND_TOKEN, (token_hash,)).one().applied)

    def revoke_family(self, family: str) -> None:
        self._db.execute(_REVOKE_FAMILY, (family,))

    def family_revoked(self, family: str) -> bool:
        """True when the family was revoked or has expired (no row)."""
        row = self._db.execute(_GET_FAMILY, (family,)).one()
        return row is None or bool(row.revoked)
