"""Who is calling: accounts, sessions and API keys.

- Passwords: Argon2id (argon2-cffi's defaults: 64 MiB, 3 passes), never stored.
- Sessions: a short-lived JWT access token (HS256, PyJWT) and a rotating
  refresh token. A refresh token works once; presenting a spent one again
  means it was stolen or replayed, and revokes its whole family (every
  token of that login), as RFC 6819 and OAuth 2.1 advise. Access tokens
  carry their family, so a revoked login stops at once, not at expiry.
- API keys, for batch uploaders and services: `dk_live_<id>_<secret>`, shown
  once, stored as a hash, with scopes (`upload`, `read`, `admin`).
Both go in `Authorization: Bearer`. Blocking functions: run in threads.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from connectors.accounts import Accounts, ApiKey, secret_hash
from ingest_api.config import USER_NAME, ApiSettings
from ingest_api.errors import InsufficientScope, InvalidField, Unauthenticated, UsernameTaken

USER_SCOPES = frozenset({"upload", "read"})  # a signed-in user's; admins have `admin` too
KEY_PREFIX = "dk_live_"
_JWT_ALGORITHM = "HS256"
_TOUCH_EVERY_S = 60.0  # a key's last-used time is written at most this often per process
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    username: str
    scopes: frozenset[str]
    key_id: str | None = None  # set when the caller used an API key

    @property
    def limit_bucket(self) -> str:
        """What rate limits count: the key, else the user."""
        return f"key:{self.key_id}" if self.key_id else f"user:{self.username}"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class Authenticator:
    def __init__(self, accounts: Accounts, settings: ApiSettings) -> None:
        self._accounts, self._settings = accounts, settings
        self._secret = settings.jwt_secret.get_secret_value()
        self._touched: dict[str, float] = {}

    # -- accounts --------------------------------------------------------------

    def signup(self, username: str, password: str) -> None:
        if not USER_NAME.match(username):
            raise InvalidField("a user name is 1-64 of a-z, 0-9, _ and -, starting with a letter or digit",
                               code="invalid_username")
        if len(password) < self._settings.min_password_chars:
            raise InvalidField(f"a password has at least {self._settings.min_password_chars} characters",
                               code="weak_password")
        if not self._accounts.create_user(username, _hasher.hash(password)):
            raise UsernameTaken(f"the user name {username!r} is taken")

    def login(self, username: str, password: str) -> Tokens:
        user = self._accounts.get_user(username) if USER_NAME.match(username) else None
        try:
            if user is None or user.password_hash is None:
                _hasher.hash(password)  # the same work either way: timing tells nothing
                raise VerificationError()
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise Unauthenticated("wrong user name or password", code="invalid_credentials") from None
        family = uuid.uuid4().hex
        self._accounts.start_family(family, username, self._settings.refresh_token_ttl_s)
        return self._issue(username, family)

    def refresh(self, refresh_token: str) -> Tokens:
        token_hash = secret_hash(refresh_token)
        found = self._accounts.get_refresh_token(token_hash)
        if found is None or found.expires_at <= datetime.now(UTC):
            raise Unauthenticated("the refresh token is not valid (expired or unknown)", code="invalid_token")
        if self._accounts.family_revoked(found.family):
            raise Unauthenticated("this login was ended; sign in again", code="invalid_token")
        if found.spent or not self._accounts.spend_refresh_token(token_hash):
            self._accounts.revoke_family(found.family)
            raise Unauthenticated("the refresh token was used before: the login is ended everywhere; "
                                  "sign in again", code="token_reused")
        return self._issue(found.username, found.family)

    def logout(self, refresh_token: str) -> None:
        found = self._accounts.get_refresh_token(secret_hash(refresh_token))
        if found is not None:
            self._accounts.revoke_family(found.family)

    def _issue(self, username: str, family: str) -> Tokens:
        now = int(time.time())
        ttl = self._settings.access_token_ttl_s
        access = jwt.encode({"sub": username, "fid": family, "iat": now, "exp": now + ttl, "typ": "access"},
                            self._secret, algorithm=_JWT_ALGORITHM)
        refresh = secrets.token_urlsafe(32)
        refresh_ttl = self._settings.refresh_token_ttl_s
        self._accounts.add_refresh_token(secret_hash(refresh), username, family,
                                         datetime.now(UTC) + timedelta(seconds=refresh_ttl), refresh_ttl)
        return Tokens(access, refresh, ttl)

    # -- who is calling --------------------------------------------------------

    def principal(self, bearer: str) -> Principal:
        """The caller a bearer credential stands for; ApiError (401) if none."""
        if bearer.count(".") == 2:  # a JWT: header.payload.signature
            return self._from_token(bearer)
        found = self._accounts.find_key(secret_hash(bearer))
        if found is None:
            raise Unauthenticated("the API key is not valid (unknown or revoked)", code="invalid_api_key")
        self._touch(found.username, found.id)
        return Principal(found.username, found.scopes, key_id=found.id)

    def _from_token(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._secret, algorithms=[_JWT_ALGORITHM],
                                options={"require": ["sub", "exp", "fid"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the access token has expired; refresh it", code="token_expired") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the access token is not valid", code="invalid_token") from None
        if claims.get("typ") != "access" or self._accounts.family_revoked(str(claims["fid"])):
            raise Unauthenticated("the access token is not valid (signed out?)", code="invalid_token")
        user = self._accounts.get_user(str(claims["sub"]))
        if user is None:
            raise Unauthenticated("the access token's user does not exist", code="invalid_token")
        return Principal(user.username, USER_SCOPES | ({"admin"} if user.is_admin else set()))

    def _touch(self, username: str, key_id: str) -> None:
        now = time.monotonic()
        if now - self._touched.get(key_id, -_TOUCH_EVERY_S) >= _TOUCH_EVERY_S:
            self._touched[key_id] = now
            self._accounts.touch_key(username, key_id)

    # -- API keys --------------------------------------------------------------

    def create_key(self, caller: Principal, name: str, scopes: frozenset[str]) -> tuple[ApiKey, str]:
        """A new key of the caller's, with at most the caller's own scopes; returns it and its secret."""
        missing = scopes - caller.scopes
        if missing:
            raise InsufficientScope(f"a key cannot have scopes you lack: {sorted(missing)}")
        key_id = uuid.uuid4().hex[:12]
        secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        prefix = secret[:len(KEY_PREFIX) + len(key_id)]
        self._accounts.add_key(secret_hash(secret), key_id, caller.username, name, prefix, scopes)
        created = next(k for k in self._accounts.list_keys(caller.username) if k.id == key_id)
        return created, secret
