"""Storage quotas and request rates, shared by every API replica (counters
in Cassandra, connectors/usage.py).

Usage is the bytes of an account's originals: an upload adds its size once
(a duplicate adds nothing), a purge takes it off; a deleted image still
counts until it is purged (it can be restored). A quota is checked before
any byte is accepted (against the request's declared size) and again with
the file's real size before it is recorded. Crossing 80 % or 95 % publishes
`darkroom.account.quota`.
"""

from __future__ import annotations

import time

from connectors.accounts import Accounts
from connectors.orgs import Orgs
from connectors.usage import Usage
from ingest_api.config import ApiSettings
from ingest_api.errors import QuotaExceeded, RateLimited
from schemas.events import QuotaWarning

THRESHOLDS = (0.8, 0.95)


class Quotas:
    def __init__(self, usage: Usage, accounts: Accounts, orgs: Orgs, settings: ApiSettings) -> None:
        self._usage, self._accounts, self._orgs = usage, accounts, orgs
        self._default = settings.default_quota_bytes

    def limit(self, account: str) -> int:
        kind, _, name = account.partition(":")
        found = (self._accounts.get_user(name) if kind == "user" else self._orgs.get(name))
        return found.quota_bytes if found is not None and found.quota_bytes is not None else self._default

    def used(self, account: str) -> int:
        return self._usage.bytes(account)

    def check(self, account: str, incoming_bytes: int) -> None:
        """QuotaExceeded when `incoming_bytes` more would not fit."""
        used, limit = self.used(account), self.limit(account)
        if used + incoming_bytes > limit:
            raise QuotaExceeded(f"{account} uses {used} of {limit} bytes; {incoming_bytes} more do not fit")

    def add(self, account: str, size: int, image_id: str) -> list[QuotaWarning]:
        """Count an accepted upload; the warnings it crosses (to publish)."""
        limit = self.limit(account)
        before = self.used(account)
        self._usage.add(account, size)
        after = before + size
        return [QuotaWarning(image_id=image_id, account=account, used_bytes=after, quota_bytes=limit,
                             threshold=t) for t in THRESHOLDS if before < t * limit <= after]

    def remove(self, account: str, size: int) -> None:
        self._usage.add(account, -size)


class RateLimiter:
    """Fixed windows (a minute by default) per bucket (a key, a user, or an
    anonymous address) and kind (`upload`, `read`)."""

    def __init__(self, usage: Usage, settings: ApiSettings) -> None:
        self._usage, self._settings = usage, settings

    def check(self, bucket: str, kind: str) -> None:
        window = self._settings.rate_window_s
        allowed = self._settings.uploads_per_minute if kind == "upload" else self._settings.reads_per_minute
        now = time.time()
        if self._usage.hit(f"{kind}:{bucket}", int(now // window)) > allowed:
            retry = max(1, int(window - now % window) + 1)
            raise RateLimited(f"more than {allowed} {kind} requests in {window} s; retry in {retry} s",
                              retry_after_s=retry)
