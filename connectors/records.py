"""Image records in Cassandra: the only module that speaks image CQL.

Three tables (cassandra_schema.cql): `images` by id, `images_by_owner` for
newest-first listings and `images_by_hash` for dedup claims. Writes that must
not resurrect a deleted row (status changes, edits) are conditional
(`IF EXISTS`); a claim is an `INSERT ... IF NOT EXISTS`. Statements are
prepared once per session and cached.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from cassandra import OperationTimedOut, ReadTimeout, Unavailable, WriteTimeout
from cassandra.cluster import NoHostAvailable, Session
from cassandra.query import BatchStatement, BatchType, PreparedStatement
from pydantic import TypeAdapter

from schemas.events import ImageMetadata, SkippedField, Variant

# What a caller may treat as "Cassandra is away for now" (answer 503, retry later).
UNAVAILABLE: tuple[type[Exception], ...] = (
    NoHostAvailable, OperationTimedOut, Unavailable, ReadTimeout, WriteTimeout)

PROCESSING, READY, FAILED = "processing", "ready", "failed"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ImageRecord:
    id: str
    owner: str
    sha256: str
    original_key: str
    mime_type: str
    byte_size: int
    width: int
    height: int
    frames: int = 1
    visibility: str = "public"
    keep_gps: bool = False
    title: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    status: str = PROCESSING
    failure_code: str | None = None
    reason: str | None = None
    variants: list[Variant] = field(default_factory=list)
    placeholder: str | None = None
    dominant_color: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)


COLUMNS = tuple(f.name for f in fields(ImageRecord))
# The fields update_fields may change; anything else has its own write.
EDITABLE = frozenset({"title", "description", "tags", "visibility", "variants"})

_CQL = {
    "insert": f"INSERT INTO images ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
    "insert_by_owner": "INSERT INTO images_by_owner (owner, id, visibility) VALUES (?, ?, ?)",
    "select": f"SELECT {', '.join(COLUMNS)} FROM images WHERE id = ?",
    "claim": "INSERT INTO images_by_hash (owner, sha256, image_id, claimed_at) VALUES (?, ?, ?, ?) "
             "IF NOT EXISTS",
    "take_over": "UPDATE images_by_hash SET image_id = ?, claimed_at = ? WHERE owner = ? AND sha256 = ? "
                 "IF image_id = ?",
    "release": "DELETE FROM images_by_hash WHERE owner = ? AND sha256 = ? IF image_id = ?",
    "list_first": "SELECT id, visibility FROM images_by_owner WHERE owner = ?",
    "list_after": "SELECT id, visibility FROM images_by_owner WHERE owner = ? AND id < ?",
    "set_owner_visibility": "UPDATE images_by_owner SET visibility = ? WHERE owner = ? AND id = ?",
    "set_variants": "UPDATE images SET variants = ?, placeholder = ?, dominant_color = ?, updated_at = ? "
                    "WHERE id = ? IF EXISTS",
    "mark_ready": "UPDATE images SET status = 'ready', updated_at = ? WHERE id = ? IF status = 'processing'",
    "set_failed": "UPDATE images SET status = 'failed', failure_code = ?, reason = ?, updated_at = ? "
                  "WHERE id = ? IF EXISTS",
    "delete": "DELETE FROM images WHERE id = ?",
    "delete_by_owner": "DELETE FROM images_by_owner WHERE owner = ? AND id = ?",
    "save_metadata": "INSERT INTO image_metadata (image_id, metadata, skipped, extracted_at) "
                     "VALUES (?, ?, ?, ?)",
    "get_metadata": "SELECT metadata, skipped, extracted_at FROM image_metadata WHERE image_id = ?",
    "delete_metadata": "DELETE FROM image_metadata WHERE image_id = ?",
}

_prepared: weakref.WeakKeyDictionary[Session, dict[str, PreparedStatement]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _stmt(session: Session, name: str, cql: str | None = None) -> PreparedStatement:
    cache = _prepared.get(session)
    if cache is None or name not in cache:
        with _lock:  # prepare once even when several request threads ask at once
            cache = _prepared.setdefault(session, {})
            if name not in cache:
                cache[name] = session.prepare(cql or _CQL[name])
    return cache[name]


def _variant_values(variants: Iterable[Variant]) -> list[tuple]:
    # The UDT's field order (cassandra_schema.cql), not the model's.
    return [(v.width, v.height, v.format, v.key, v.byte_size) for v in variants]


def _utc(value: datetime | None) -> datetime | None:
    # The driver hands back naive datetimes that are in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _record(row) -> ImageRecord:
    values = row._asdict()
    values["tags"] = list(values["tags"] or [])
    values["variants"] = [Variant(**v._asdict()) for v in values["variants"] or []]
    values["created_at"], values["updated_at"] = _utc(values["created_at"]), _utc(values["updated_at"])
    values["frames"] = values["frames"] or 1
    values["keep_gps"] = bool(values["keep_gps"])
    return ImageRecord(**values)


def create(session: Session, record: ImageRecord) -> None:
    """Write the record and its owner-listing row together (a logged batch)."""
    values = [getattr(record, c) for c in COLUMNS]
    values[COLUMNS.index("variants")] = _variant_values(record.variants)
    batch = BatchStatement(BatchType.LOGGED)
    batch.add(_stmt(session, "insert"), values)
    batch.add(_stmt(session, "insert_by_owner"), (record.owner, record.id, record.visibility))
    session.execute(batch)


def get(session: Session, image_id: str) -> ImageRecord | None:
    row = session.execute(_stmt(session, "select"), (image_id,)).one()
    return _record(row) if row is not None else None


def claim_hash(session: Session, owner: str, sha256: str, image_id: str) -> str | None:
    """Claim (owner, sha256) for `image_id`. Returns None if the claim is
    ours, else the id that holds it."""
    row = session.execute(_stmt(session, "claim"), (owner, sha256, image_id, _now())).one()
    return None if row.applied else row.image_id


def claimed_at(session: Session, owner: str, sha256: str) -> datetime | None:
    cql = "SELECT claimed_at FROM images_by_hash WHERE owner = ? AND sha256 = ?"
    row = session.execute(_stmt(session, "claimed_at", cql), (owner, sha256)).one()
    return _utc(row.claimed_at) if row is not None else None


def take_over_hash(session: Session, owner: str, sha256: str, stale_id: str, image_id: str) -> bool:
    """Move a claim left behind by an upload that never made its record to
    `image_id`; False if someone else changed it first."""
    row = session.execute(_stmt(session, "take_over"), (image_id, _now(), owner, sha256, stale_id)).one()
    return bool(row.applied)


def release_hash(session: Session, owner: str, sha256: str, image_id: str) -> None:
    """Drop the claim if `image_id` still holds it (never someone else's)."""
    session.execute(_stmt(session, "release"), (owner, sha256, image_id))


def list_by_owner(session: Session, owner: str, cursor: str | None, limit: int,
                  visibilities: frozenset[str] | None = None) -> tuple[list[ImageRecord], str | None]:
    """Newest first, `limit` records after the id `cursor` (exclusive), only
    those whose visibility is in `visibilities` (all when None). Returns the
    records and the cursor of the next page, None on the last one."""
    if cursor is None:
        bound = _stmt(session, "list_first").bind((owner,))
    else:
        bound = _stmt(session, "list_after").bind((owner, cursor))
    bound.fetch_size = limit + 1 if visibilities is None else max(2 * limit, 100)
    ids: list[str] = []
    for row in session.execute(bound):  # the driver fetches further pages as we iterate
        if visibilities is None or row.visibility in visibilities:
            ids.append(row.id)
            if len(ids) > limit:
                break
    more = len(ids) > limit
    ids = ids[:limit]
    select = _stmt(session, "select")
    futures = [session.execute_async(select, (i,)) for i in ids]
    rows = [f.result().one() for f in futures]
    # A row can be missing if the image was deleted since the scan: skip it.
    records = [_record(r) for r in rows if r is not None]
    return records, (ids[-1] if more and ids else None)


def update_fields(session: Session, image_id: str, **changes: object) -> bool:
    """Change editable fields (title, description, tags, visibility,
    variants). False if the image does not exist."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if not changes:
        return get(session, image_id) is not None
    names = sorted(changes)
    cql = (f"UPDATE images SET {', '.join(f'{n} = ?' for n in names)}, updated_at = ? "
           "WHERE id = ? IF EXISTS")
    values = [_variant_values(changes[n]) if n == "variants" else changes[n] for n in names]
    row = session.execute(_stmt(session, "update:" + ",".join(names), cql),
                          (*values, _now(), image_id)).one()
    if row.applied and "visibility" in changes:
        # The listing row is keyed by owner, which the conditional update does not return.
        current = get(session, image_id)
        if current is not None:
            session.execute(_stmt(session, "set_owner_visibility"),
                            (changes["visibility"], current.owner, image_id))
    return bool(row.applied)


def set_variants(session: Session, image_id: str, variants: list[Variant], placeholder: str,
                 dominant_color: str) -> bool:
    """Store the image's variants; the status stays as it is (the indexing
    stage decides readiness, see mark_ready). The same call twice leaves the
    same row. False if the image was deleted meanwhile (nothing is written)."""
    row = session.execute(_stmt(session, "set_variants"),
                          (_variant_values(variants), placeholder, dominant_color, _now(), image_id)).one()
    return bool(row.applied)


def mark_ready(session: Session, image_id: str) -> bool:
    """processing -> ready, once every stage is done (streams/indexing.py).
    False if the image is gone, failed or already ready."""
    row = session.execute(_stmt(session, "mark_ready"), (_now(), image_id)).one()
    return bool(row.applied)


def set_failed(session: Session, image_id: str, code: str, reason: str) -> bool:
    """Mark the image failed with a stable code and a reason for people.
    False if the image was deleted meanwhile."""
    row = session.execute(_stmt(session, "set_failed"), (code, reason, _now(), image_id)).one()
    return bool(row.applied)


def delete(session: Session, image_id: str) -> ImageRecord | None:
    """Remove the record, its listing row, its metadata and its dedup claim.
    Returns what was removed, None if there was nothing."""
    record = get(session, image_id)
    if record is None:
        return None
    batch = BatchStatement(BatchType.LOGGED)
    batch.add(_stmt(session, "delete"), (image_id,))
    batch.add(_stmt(session, "delete_by_owner"), (record.owner, image_id))
    batch.add(_stmt(session, "delete_metadata"), (image_id,))
    session.execute(batch)
    release_hash(session, record.owner, record.sha256, image_id)
    return record


# -- metadata (table image_metadata, written by the metadata stage) ---------

@dataclass
class MetadataRecord:
    metadata: ImageMetadata
    skipped: list[SkippedField]
    extracted_at: datetime


_SKIPPED = TypeAdapter(list[SkippedField])


def save_metadata(session: Session, image_id: str, metadata: ImageMetadata,
                  skipped: list[SkippedField]) -> None:
    """One row per image: writing it again (a redelivery) replaces it."""
    session.execute(_stmt(session, "save_metadata"),
                    (image_id, metadata.model_dump_json(), _SKIPPED.dump_json(skipped).decode(), _now()))


def get_metadata(session: Session, image_id: str) -> MetadataRecord | None:
    row = session.execute(_stmt(session, "get_metadata"), (image_id,)).one()
    if row is None:
        return None
    return MetadataRecord(metadata=ImageMetadata.model_validate_json(row.metadata),
                          skipped=_SKIPPED.validate_json(row.skipped or "[]"),
                          extracted_at=_utc(row.extracted_at))
