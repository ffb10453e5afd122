"""The nginx delivery cache: its health, and purging cached copies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from pydantic import SecretStr

from connectors.settings import NginxSettings

PURGE_TOKEN_HEADER = "X-Darkroom-Purge-Token"

# What a caller may treat as "nginx is away for now".
UNAVAILABLE: tuple[type[Exception], ...] = (httpx.TransportError,)


class DeliveryCache:
    """What the API asks of the cache in front of MinIO."""

    def __init__(self, settings: NginxSettings, purge_token: SecretStr) -> None:
        self._settings = settings
        self._base = (settings.purge_url or settings.url).rstrip("/")
        self._headers = {PURGE_TOKEN_HEADER: purge_token.get_secret_value()}

    def purge(self, path: str) -> bool:
        """Drop the cached copy of `path` (`/bucket/key`); True if one was cached."""
        response = httpx.request("PURGE", f"{self._base}{path}", headers=self._headers,
                                 timeout=self._settings.timeout_s)
        if response.status_code not in (200, 404):
            response.raise_for_status()
        return response.status_code == 200


def wait_ready(settings: NginxSettings, timeout_s: float = 30) -> str:
    """Wait for nginx's own health page; return its version."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response = httpx.get(f"{settings.url}/nginx-health", timeout=2)
            if response.status_code == 200:
                return response.text.removeprefix("ok").strip() or "unknown"  # "ok 1.22.1"
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"nginx at {settings.url} not ready")
        time.sleep(0.3)


class InvalidSignature(Exception):
    """A signed delivery URL that is unsigned, tampered, expired or of an unknown key;
    `code` says which as nginx does: signature_missing, _invalid or _expired."""

    def __init__(self, message: str, code: str = "signature_invalid") -> None:
        super().__init__(message)
        self.code = code


TRANSFORMS = "/t/"  # transform URLs: /t/<token>/<options>/<placement>/<image id>
NEVER = 0  # the expiry of a transform URL of a public image: it lasts as long as its key
_TOKEN = re.compile(r"/t/(?P<kid>[A-Za-z0-9]+)\.(?P<expires>[0-9]{1,12})\.(?P<sig>[A-Za-z0-9_-]+)"
                    r"(?P<rest>/.*)")


class UrlSigner:
    """Darkroom's one signing scheme for delivery URLs, which nginx verifies
    (deploy/images/nginx/signing.js) before it serves a private variant or a
    transform, cached or not:

        signature = base64url(HMAC-SHA256(key, "<path>\n<expires>")), no padding

    A variant carries it in the query, `?e=<expires, unix s>&k=<key id>&s=<signature>`;
    a transform in its path, `/t/<key id>.<expires>.<signature>/<rest>`, signing
    `/t/<rest>` (so nginx can cache by the rest and a query string stays
    meaningless). A transform URL may never expire (`expires` 0) only for a
    public image. Several keys verify at once; the first signs. Rotation: add a
    key in front, keep the old one until the longest URL it signed has
    expired, then drop it (never-expiring URLs die with their key)."""

    def __init__(self, keys: SecretStr) -> None:
        self._keys = parse_keys(keys.get_secret_value())
        self._kid, self._secret = next(iter(self._keys.items()))

    def _mac(self, secret: bytes, path: str, expires: int) -> str:
        digest = hmac.new(secret, f"{path}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def query(self, path: str, expires: int) -> str:
        """The query string that signs `path` until `expires`."""
        return urlencode({"e": expires, "k": self._kid, "s": self._mac(self._secret, path, expires)})

    def sign(self, base_url: str, path: str, lifetime_s: int, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + lifetime_s)
        return f"{base_url.rstrip('/')}{path}?{self.query(path, expires)}"

    def verify(self, url: str, now: float | None = None) -> str:
        """The path `url` signs; InvalidSignature unless valid and unexpired."""
        parts = urlsplit(url)
        args = {k: v[0] for k, v in parse_qs(parts.query).items()}
        secret = self._keys.get(args.get("k", ""))
        if secret is None or not args.get("e", "").isdigit() or "s" not in args:
            raise InvalidSignature("unsigned, or signed with a key that is not active")
        if not hmac.compare_digest(self._mac(secret, parts.path, int(args["e"])), args["s"]):
            raise InvalidSignature("the signature does not match")
        if int(args["e"]) < (time.time() if now is None else now):
            raise InvalidSignature("the URL has expired")
        return parts.path


    def sign_transform(self, base_url: str, path: str, expires: int) -> str:
        """`base_url` + `path` (`/t/<rest>`) with the token put in: until
        `expires` (unix s), or NEVER."""
        if not path.startswith(TRANSFORMS):
            raise ValueError(f"{path} is not a transform path")
        token = f"{self._kid}.{expires}.{self._mac(self._secret, path, expires)}"
        return f"{base_url.rstrip('/')}{TRANSFORMS}{token}/{path[len(TRANSFORMS):]}"

    def verify_transform(self, path: str, now: float | None = None) -> tuple[str, int]:
        """The transform path a signed one stands for (`/t/<rest>`) and its
        expiry; InvalidSignature unless valid and unexpired. A never-expiring
        token is valid only for a public image's transform."""
        found = _TOKEN.fullmatch(path)
        if found is None:
            raise InvalidSignature("this address needs a signed URL", "signature_missing")
        secret = self._keys.get(found["kid"])
        if secret is None:
            raise InvalidSignature("unsigned, or signed with a key that is not active")
        unsigned, expires = TRANSFORMS.rstrip("/") + found["rest"], int(found["expires"])
        if not hmac.compare_digest(self._mac(secret, unsigned, expires), found["sig"]):
            raise InvalidSignature("the signature does not match")
        if expires == NEVER and "/public/" not in unsigned:
            raise InvalidSignature("only a public image's transform may never expire")
        if expires != NEVER and expires < (time.time() if now is None else now):
            raise InvalidSignature("the signed URL has expired", "signature_expired")
        return unsigned, expires


def transform_path(options: str, placement: str, image_id: str) -> str:
    """The unsigned path of a transform (`placement` is `public/` or `private/`)."""
    return f"{TRANSFORMS}{options}/{placement.rstrip('/')}/{image_id}"


def parse_keys(text: str) -> dict[str, bytes]:
    """`kid:secret,kid:secret` in order; ValueError when malformed."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        kid, sep, secret = item.partition(":")
        if not sep or not kid.isalnum() or len(secret) < 16:
            raise ValueError("signing keys look like `kid:secret` (kid letters and digits, "
                             "secret 16 characters or more), comma-separated")
        keys[kid] = secret.encode()
    if not keys:
        raise ValueError("at least one signing key is needed")
    return keys
