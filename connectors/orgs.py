"""Organizations and their members, in Cassandra. Every method blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.cassandra import Cassandra

ROLES = ("owner", "admin", "member", "viewer")  # most rights first


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    quota_bytes: int | None
    created_at: datetime


_CREATE = "INSERT INTO orgs (id, name, quota_bytes, created_at) VALUES (?, ?, null, ?) IF NOT EXISTS"
_GET = "SELECT id, name, quota_bytes, created_at FROM orgs WHERE id = ?"
_SET_QUOTA = "UPDATE orgs SET quota_bytes = ? WHERE id = ? IF EXISTS"
_PUT_MEMBER = "INSERT INTO org_members (org, username, role) VALUES (?, ?, ?)"
_PUT_BY_USER = "INSERT INTO orgs_by_user (username, org, role) VALUES (?, ?, ?)"
_DROP_MEMBER = "DELETE FROM org_members WHERE org = ? AND username = ?"
_DROP_BY_USER = "DELETE FROM orgs_by_user WHERE username = ? AND org = ?"
_MEMBERS = "SELECT username, role FROM org_members WHERE org = ?"
_ROLE = "SELECT role FROM org_members WHERE org = ? AND username = ?"
_OF_USER = "SELECT org, role FROM orgs_by_user WHERE username = ?"


class Orgs:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def create(self, org_id: str, name: str, owner: str) -> bool:
        """The org with `owner` as its first member; False when the id is taken."""
        if not self._db.execute(_CREATE, (org_id, name, datetime.now(UTC))).one().applied:
            return False
        self.set_member(org_id, owner, "owner")
        return True

    def get(self, org_id: str) -> Org | None:
        row = self._db.execute(_GET, (org_id,)).one()
        if row is None:
            return None
        created = row.created_at.replace(tzinfo=UTC) if row.created_at else datetime.now(UTC)
        return Org(row.id, row.name, row.quota_bytes, created)

    def set_quota(self, org_id: str, quota_bytes: int) -> bool:
        return bool(self._db.execute(_SET_QUOTA, (quota_bytes, org_id)).one().applied)

    def set_member(self, org_id: str, username: str, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        self._db.batch((_PUT_MEMBER, (org_id, username, role)), (_PUT_BY_USER, (username, org_id, role)))

    def remove_member(self, org_id: str, username: str) -> None:
        self._db.batch((_DROP_MEMBER, (org_id, username)), (_DROP_BY_USER, (username, org_id)))

    def members(self, org_id: str) -> dict[str, str]:
        return {r.username: r.role for r in self._db.execute(_MEMBERS, (org_id,))}

    def role(self, org_id: str, username: str) -> str | None:
        row = self._db.execute(_ROLE, (org_id, username)).one()
        return row.role if row is not None else None

    def of_user(self, username: str) -> dict[str, str]:
        """The user's organizations and their role in each."""
        return {r.org: r.role for r in self._db.execute(_OF_USER, (username,))}
