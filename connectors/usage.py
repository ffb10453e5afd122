"""Counters shared by every API replica, in Cassandra: storage in use per
account, and requests per minute per rate-limit bucket. Every method blocks.

Cassandra counters are exact under concurrent increments (no read-modify-
write), which is what several API replicas need; they cannot be written
conditionally, so a check-then-add may overshoot a limit by the requests in
flight at that moment (documented, and bounded by the replicas' threads).
"""

from __future__ import annotations

from connectors.cassandra import Cassandra

_ADD = "UPDATE usage SET bytes = bytes + ? WHERE account = ?"
_GET = "SELECT bytes FROM usage WHERE account = ?"
_HIT = "UPDATE rate_counts SET hits = hits + 1 WHERE bucket = ? AND minute = ?"
_HITS = "SELECT hits FROM rate_counts WHERE bucket = ? AND minute = ?"  # `minute`: the window's number


def user_account(username: str) -> str:
    return f"user:{username}"


def org_account(org_id: str) -> str:
    return f"org:{org_id}"


def account_of(owner: str, org: str | None) -> str:
    """Whose storage an image counts against: its organization's, else its owner's."""
    return org_account(org) if org else user_account(owner)


class Usage:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def add(self, account: str, delta_bytes: int) -> None:
        if delta_bytes:
            self._db.execute(_ADD, (delta_bytes, account))

    def bytes(self, account: str) -> int:
        row = self._db.execute(_GET, (account,)).one()
        return int(row.bytes) if row is not None and row.bytes is not None else 0

    def hit(self, bucket: str, minute: int) -> int:
        """Count one request in the bucket's window; returns the count so far."""
        self._db.execute(_HIT, (bucket, minute))
        row = self._db.execute(_HITS, (bucket, minute)).one()
        return int(row.hits) if row is not None else 1
