"""The preset repository: the only code that speaks preset CQL.

A preset is a named transform an owner defines once (`PUT /v1/presets/{name}`)
and names at upload; the resize stage renders it with the variants. One
table, `presets`, partitioned by owner (cassandra_schema.cql); the options
are kept as the canonical text of a transform URL (schemas/transforms.py),
so a preset's output and the transform URL of the same options are one
object and one cache entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.cassandra import Cassandra, utc

_PUT = "INSERT INTO presets (owner, name, options, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
_CREATED = "SELECT created_at FROM presets WHERE owner = ? AND name = ?"
_GET = "SELECT name, options, created_at, updated_at FROM presets WHERE owner = ? AND name = ?"
_LIST = "SELECT name, options, created_at, updated_at FROM presets WHERE owner = ?"
_DELETE = "DELETE FROM presets WHERE owner = ? AND name = ? IF EXISTS"


@dataclass(frozen=True)
class Preset:
    owner: str
    name: str
    options: str  # canonical transform options
    created_at: datetime
    updated_at: datetime


def _preset(owner: str, row) -> Preset:
    return Preset(owner, row.name, row.options, utc(row.created_at), utc(row.updated_at))


class PresetRepository:
    """Every method blocks (the driver is synchronous): async callers use threads."""

    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def put(self, owner: str, name: str, options: str) -> Preset:
        """Define or redefine a preset (it keeps its creation time)."""
        now = datetime.now(UTC).replace(microsecond=0)
        row = self._db.execute(_CREATED, (owner, name)).one()
        created = utc(row.created_at) if row is not None and row.created_at else now
        self._db.execute(_PUT, (owner, name, options, created, now))
        return Preset(owner, name, options, created, now)

    def get(self, owner: str, name: str) -> Preset | None:
        row = self._db.execute(_GET, (owner, name)).one()
        return _preset(owner, row) if row is not None else None

    def many(self, owner: str, names: list[str]) -> dict[str, Preset]:
        """The ones of `names` that exist, by name (one query each, in parallel)."""
        futures = {name: self._db.execute_async(_GET, (owner, name)) for name in dict.fromkeys(names)}
        return {name: _preset(owner, row) for name, future in futures.items()
                if (row := future.result().one()) is not None}

    def list(self, owner: str) -> list[Preset]:
        """By name."""
        return [_preset(owner, row) for row in self._db.execute(_LIST, (owner,))]

    def delete(self, owner: str, name: str) -> bool:
        """False when there was no such preset."""
        return bool(self._db.execute(_DELETE, (owner, name)).one().applied)
