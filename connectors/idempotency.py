"""Idempotency keys of the API's uploads, in Cassandra (table
`idempotency_keys`): the only code that speaks their CQL.

A key belongs to one owner. Its row is made, with the fingerprint of the
request's body, before anything is committed (`begin`, a lightweight
transaction, so two replicas never both take a new key for different
bodies), and the answer is stored once it is known (`remember`, again
conditional: the first answer stored is the answer). Rows expire after
`ttl_s`. Every method blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.cassandra import Cassandra

_BEGIN = ("INSERT INTO idempotency_keys (owner, key, fingerprint, created_at) "
          "VALUES (?, ?, ?, toTimestamp(now())) IF NOT EXISTS USING TTL ?")
_REMEMBER = ("UPDATE idempotency_keys USING TTL ? SET answer = ? WHERE owner = ? AND key = ? "
             "IF fingerprint = ? AND answer = null")
_GET = "SELECT fingerprint, answer FROM idempotency_keys WHERE owner = ? AND key = ?"


@dataclass(frozen=True)
class KeyUse:
    """What an earlier request with the key left: its body's fingerprint and,
    once it answered, the answer (None: it never did, or not yet)."""

    fingerprint: str
    answer: str | None


class IdempotencyKeys:
    def __init__(self, db: Cassandra, ttl_s: int) -> None:
        self._db, self._ttl_s = db, ttl_s

    def begin(self, owner: str, key: str, fingerprint: str) -> KeyUse | None:
        """Take the key for a request whose body has `fingerprint`: None when
        it is new, else what the earlier request with it left."""
        row = self._db.execute(_BEGIN, (owner, key, fingerprint, self._ttl_s)).one()
        return None if row.applied else KeyUse(row.fingerprint, row.answer)

    def remember(self, owner: str, key: str, fingerprint: str, answer: str) -> KeyUse | None:
        """Store the answer unless one is stored already: None when this one
        was, else the use that holds the first answer."""
        if self._db.execute(_REMEMBER, (self._ttl_s, answer, owner, key, fingerprint)).one().applied:
            return None
        row = self._db.execute(_GET, (owner, key)).one()
        return KeyUse(row.fingerprint, row.answer) if row is not None else None
