"""Who else may see or edit an image: collaborators and share links, in
Cassandra. Share tokens are stored as their SHA-256 and expire by TTL too.
Every method blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.cassandra import Cassandra

PERMISSIONS = ("view", "edit")


@dataclass(frozen=True)
class Share:
    image_id: str
    permission: str
    created_by: str
    expires_at: datetime


_PUT_COLLABORATOR = "INSERT INTO collaborators (image_id, username, permission) VALUES (?, ?, ?)"
_DROP_COLLABORATOR = "DELETE FROM collaborators WHERE image_id = ? AND username = ?"
_COLLABORATORS = "SELECT username, permission FROM collaborators WHERE image_id = ?"
_DROP_ALL = "DELETE FROM collaborators WHERE image_id = ?"
_PUT_SHARE = ("INSERT INTO shares (token_hash, image_id, permission, created_by, expires_at) "
              "VALUES (?, ?, ?, ?, ?) USING TTL ?")
_GET_SHARE = "SELECT image_id, permission, created_by, expires_at FROM shares WHERE token_hash = ?"


class Sharing:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def set_collaborator(self, image_id: str, username: str, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        self._db.execute(_PUT_COLLABORATOR, (image_id, username, permission))

    def remove_collaborator(self, image_id: str, username: str) -> None:
        self._db.execute(_DROP_COLLABORATOR, (image_id, username))

    def collaborators(self, image_id: str) -> dict[str, str]:
        return {r.username: r.permission for r in self._db.execute(_COLLABORATORS, (image_id,))}

    def forget_image(self, image_id: str) -> None:
        """A purged image's collaborators (its share links expire on their own)."""
        self._db.execute(_DROP_ALL, (image_id,))

    def add_share(self, token_hash: str, share: Share, ttl_s: int) -> None:
        self._db.execute(_PUT_SHARE, (token_hash, share.image_id, share.permission, share.created_by,
                                      share.expires_at, max(1, ttl_s)))

    def get_share(self, token_hash: str) -> Share | None:
        """The live share link with this hash; None if unknown or expired."""
        row = self._db.execute(_GET_SHARE, (token_hash,)).one()
        if row is None:
            return None
        expires = row.expires_at.replace(tzinfo=UTC)
        if expires <= datetime.now(UTC):
            return None
        return Share(row.image_id, row.permission, row.created_by, expires)
