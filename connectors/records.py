"""The image repository: the only code that speaks image CQL.

Four tables (cassandra_schema.cql): `images` by id, `images_by_owner` for
newest-first listings, `images_by_hash` for dedup claims and
`image_metadata` for what the metadata stage read. Writes that must not
resurrect a deleted row (status changes, edits) are conditional (`IF
EXISTS`); a claim is an `INSERT ... IF NOT EXISTS`.

An image's status moves only as MOVES says, each move one conditional write:

    (none)      -> processing   the API, once the original is stored      create
    processing  -> ready        the indexing stage, once the variants,    mark_ready
                                metadata and tags are in
    any         -> failed       a stage that met poison (never retried)   set_failed
    failed      -> processing   an operator's replay or reprocess         retry
                                (./darkroom ops), before it resends

Orthogonal to the status, an image's lifecycle: live, soft-deleted
(`deleted_at` set: hidden everywhere, restorable until `purge_after`), purged
(no row: nothing brings it back). And its `placement`, the key prefix its
variants must live under now (connectors/minio.placement): every write of
variants is conditional on it, every change of visibility or lifecycle
changes it in the same conditional write.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from pydantic import TypeAdapter

from connectors.cassandra import UNAVAILABLE, Cassandra, utc
from schemas.events import ImageMetadata, SkippedField, Variant

__all__ = ["UNAVAILABLE", "ImageRecord", "ImageRepository", "MetadataRecord"]

PROCESSING, READY, FAILED = "processing", "ready", "failed"


@dataclass(frozen=True)
class Move:
    """A status change: to `to`, from any of `sources` (None: from any status)."""

    to: str
    sources: frozenset[str] | None
    by: str

    @property
    def condition(self) -> str:
        if self.sources is None:
            return "IF EXISTS"
        return "IF status IN (" + ", ".join(f"'{s}'" for s in sorted(self.sources)) + ")"


MOVES = {
    "mark_ready": Move(READY, frozenset({PROCESSING}), "the indexing stage, when every section is in"),
    "set_failed": Move(FAILED, None, "a stage, on poison"),
    "retry": Move(PROCESSING, frozenset({FAILED}), "an operator, replaying or reprocessing (./darkroom ops)"),
}


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
    org: str | None = None
    placement: str | None = None  # None only on rows written before placements existed
    deleted_at: datetime | None = None
    purge_after: datetime | None = None
    presets: list[str] = field(default_factory=list)  # named at upload (ImageUploaded.presets)
    preset_variants: list[Variant] = field(default_factory=list)  # their outputs (the resize stage's)
    preset_problems: dict[str, str] = field(default_factory=dict)  # name -> why it could not apply

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class PendingChange:
    shard: int
    image_id: str
    change_id: uuid.UUID
    kind: str
    due: datetime


@dataclass
class MetadataRecord:
    metadata: ImageMetadata
    skipped: list[SkippedField]
    extracted_at: datetime


COLUMNS = tuple(f.name for f in fields(ImageRecord))
# The fields update_fields may change; anything else has its own write.
EDITABLE = frozenset({"title", "description", "tags", "visibility", "variants", "placement", "org"})
PENDING_SHARDS = 16  # partitions of pending_changes: a relay reads each one
_SKIPPED = TypeAdapter(list[SkippedField])

_INSERT = f"INSERT INTO images ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_INSERT_BY_OWNER = "INSERT INTO images_by_owner (owner, id, visibility) VALUES (?, ?, ?)"
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM images WHERE id = ?"
_CLAIM = "INSERT INTO images_by_hash (owner, sha256, image_id, claimed_at) VALUES (?, ?, ?, ?) IF NOT EXISTS"
_CLAIMED_AT = "SELECT claimed_at FROM images_by_hash WHERE owner = ? AND sha256 = ?"
_HOLDER = "SELECT image_id FROM images_by_hash WHERE owner = ? AND sha256 = ?"
_EXISTS = "SELECT id FROM images WHERE id = ?"
_TAKE_OVER = ("UPDATE images_by_hash SET image_id = ?, claimed_at = ? WHERE owner = ? AND sha256 = ? "
              "IF image_id = ?")
_RELEASE = "DELETE FROM images_by_hash WHERE owner = ? AND sha256 = ? IF image_id = ?"
_LIST_FIRST = "SELECT id, visibility FROM images_by_owner WHERE owner = ?"
_LIST_AFTER = "SELECT id, visibility FROM images_by_owner WHERE owner = ? AND id < ?"
_SET_OWNER_VISIBILITY = "UPDATE images_by_owner SET visibility = ? WHERE owner = ? AND id = ?"
_SET_VARIANTS = ("UPDATE images SET variants = ?, placeholder = ?, dominant_color = ?, preset_variants = ?, "
                 "preset_problems = ?, updated_at = ? WHERE id = ? IF placement = ?")
_MOVE_VARIANTS = ("UPDATE images SET variants = ?, updated_at = ? WHERE id = ? "
                  "IF placement = ? AND variants = ?")
_SOFT_DELETE = ("UPDATE images SET deleted_at = ?, purge_after = ?, placement = ?, updated_at = ? "
                "WHERE id = ? IF deleted_at = null")
_RESTORE = ("UPDATE images SET deleted_at = null, purge_after = null, placement = ?, updated_at = ? "
            "WHERE id = ? IF deleted_at = ?")
_ADD_PENDING = "INSERT INTO pending_changes (shard, image_id, change_id, kind, due) VALUES (?, ?, ?, ?, ?)"
_PENDING = "SELECT image_id, change_id, kind, due FROM pending_changes WHERE shard = ?"
_PENDING_OF = "SELECT change_id, kind, due FROM pending_changes WHERE shard = ? AND image_id = ?"
_DONE_PENDING = "DELETE FROM pending_changes WHERE shard = ? AND image_id = ? AND change_id = ?"
_MARK_READY = (f"UPDATE images SET status = '{MOVES['mark_ready'].to}', updated_at = ? WHERE id = ? "
               f"{MOVES['mark_ready'].condition}")
_SET_FAILED = (f"UPDATE images SET status = '{MOVES['set_failed'].to}', failure_code = ?, reason = ?, "
               f"updated_at = ? WHERE id = ? {MOVES['set_failed'].condition}")
_RETRY = (f"UPDATE images SET status = '{MOVES['retry'].to}', failure_code = null, reason = null, "
          f"updated_at = ? WHERE id = ? {MOVES['retry'].condition}")
_SCAN = f"SELECT {', '.join(COLUMNS)} FROM images"
_DELETE = "DELETE FROM images WHERE id = ?"
_DELETE_BY_OWNER = "DELETE FROM images_by_owner WHERE owner = ? AND id = ?"
_SAVE_METADATA = "INSERT INTO image_metadata (image_id, metadata, skipped, extracted_at) VALUES (?, ?, ?, ?)"
_GET_METADATA = "SELECT metadata, skipped, extracted_at FROM image_metadata WHERE image_id = ?"
_DELETE_METADATA = "DELETE FROM image_metadata WHERE image_id = ?"


def _variant_values(variants: Iterable[Variant]) -> list[tuple]:
    # The UDT's field order (cassandra_schema.cql), not the model's. on_demand is
    # null when false, as in rows from before it existed: conditions on the list match.
    return [(v.width, v.height, v.format, v.key, v.byte_size, v.on_demand or None, v.preset)
            for v in variants]


def _variants(values: Iterable | None) -> list[Variant]:
    # Rows written before on_demand existed hold null there.
    return [Variant(**{**v._asdict(), "on_demand": bool(v.on_demand)}) for v in values or []]


def _record(row) -> ImageRecord:
    values = row._asdict()
    values["tags"] = list(values["tags"] or [])
    values["variants"] = _variants(values["variants"])
    values["preset_variants"] = _variants(values["preset_variants"])
    values["presets"] = list(values["presets"] or [])
    values["preset_problems"] = dict(values["preset_problems"] or {})
    values["created_at"], values["updated_at"] = utc(values["created_at"]), utc(values["updated_at"])
    values["frames"] = values["frames"] or 1
    values["keep_gps"] = bool(values["keep_gps"])
    for moment in ("deleted_at", "purge_after"):
        values[moment] = utc(values[moment])
    return ImageRecord(**values)


def shard_of(image_id: str) -> int:
    return int(uuid.uuid5(uuid.NAMESPACE_OID, image_id).int % PENDING_SHARDS)


class ImageRepository:
    """Image records, their dedup claims, listings and metadata. Every
    method blocks (the driver is synchronous): async callers use threads."""

    def __init__(self, db: Cassandra) -> None:
        self._db = db

    # -- records ------------------------------------------------------------

    def create(self, record: ImageRecord) -> None:
        """Write the record and its owner-listing row together (a logged batch)."""
        values = [getattr(record, c) for c in COLUMNS]
        values[COLUMNS.index("variants")] = _variant_values(record.variants)
        values[COLUMNS.index("preset_variants")] = _variant_values(record.preset_variants)
        self._db.batch((_INSERT, values), (_INSERT_BY_OWNER, (record.owner, record.id, record.visibility)))

    def get(self, image_id: str) -> ImageRecord | None:
        row = self._db.execute(_SELECT, (image_id,)).one()
        return _record(row) if row is not None else None

    def list_by_owner(self, owner: str, cursor: str | None, limit: int,
                      visibilities: frozenset[str] | None = None) -> tuple[list[ImageRecord], str | None]:
        """Newest first, `limit` records after the id `cursor` (exclusive), only
        those whose visibility is in `visibilities` (all when None). Returns the
        records and the cursor of the next page, None on the last one."""
        fetch_size = limit + 1 if visibilities is None else max(2 * limit, 100)
        if cursor is None:
            rows = self._db.execute(_LIST_FIRST, (owner,), fetch_size=fetch_size)
        else:
            rows = self._db.execute(_LIST_AFTER, (owner, cursor), fetch_size=fetch_size)
        ids: list[str] = []
        for row in rows:  # the driver fetches further pages as we iterate
            if visibilities is None or row.visibility in visibilities:
                ids.append(row.id)
                if len(ids) > limit:
                    break
        more = len(ids) > limit
        ids = ids[:limit]
        futures = [self._db.execute_async(_SELECT, (i,)) for i in ids]
        found = [f.result().one() for f in futures]
        # A row can be missing, or deleted, if the image went since the scan: skip it.
        records = [_record(r) for r in found if r is not None]
        return [r for r in records if not r.deleted], (ids[-1] if more and ids else None)

    def update_fields(self, image_id: str, **changes: object) -> bool:
        """Change editable fields (title, description, tags, visibility,
        variants). False if the image does not exist."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        if not changes:
            return self.get(image_id) is not None
        names = sorted(changes)
        cql = (f"UPDATE images SET {', '.join(f'{n} = ?' for n in names)}, updated_at = ? "
               "WHERE id = ? IF EXISTS")
        values = [_variant_values(changes[n]) if n == "variants" else changes[n] for n in names]  # type: ignore[arg-type]
        row = self._db.execute(cql, (*values, _now(), image_id)).one()
        if row.applied and "visibility" in changes:
            # The listing row is keyed by owner, which the conditional update does not return.
            current = self.get(image_id)
            if current is not None:
                self._db.execute(_SET_OWNER_VISIBILITY, (changes["visibility"], current.owner, image_id))
        return bool(row.applied)

    def set_variants(self, image_id: str, variants: list[Variant], placeholder: str, dominant_color: str,
                     placement: str | None, preset_variants: Iterable[Variant] = (),
                     preset_problems: dict[str, str] | None = None) -> bool:
        """Store the image's variants (and its presets' outputs and problems),
        made under `placement`, only if that is still where they belong; the
        status stays as it is (the indexing stage decides readiness, see
        mark_ready). The same call twice leaves the same row. False if the
        placement changed or the image is gone (nothing is written: the caller
        removes what it put under the old placement)."""
        row = self._db.execute(_SET_VARIANTS, (_variant_values(variants), placeholder, dominant_color,
                                               _variant_values(preset_variants), preset_problems or {},
                                               _now(), image_id, placement)).one()
        return bool(row.applied)

    def move_variants(self, image_id: str, before: list[Variant], after: list[Variant],
                      placement: str | None) -> bool:
        """Replace the variants' keys after their objects were copied to `placement`;
        False if the placement or the variants changed meanwhile (read again)."""
        row = self._db.execute(_MOVE_VARIANTS, (_variant_values(after), _now(), image_id, placement,
                                                _variant_values(before))).one()
        return bool(row.applied)

    def soft_delete(self, record: ImageRecord, placement: str, purge_after: datetime) -> bool:
        """Hide the image everywhere (its listing row goes) until restored or
        purged; False when it was deleted already or is gone."""
        row = self._db.execute(_SOFT_DELETE, (_now(), purge_after, placement, _now(), record.id)).one()
        if row.applied:
            self._db.execute(_DELETE_BY_OWNER, (record.owner, record.id))
        return bool(row.applied)

    def restore(self, record: ImageRecord, placement: str) -> bool:
        """Bring a soft-deleted image back; False when it is not deleted (any more)."""
        row = self._db.execute(_RESTORE, (placement, _now(), record.id, record.deleted_at)).one()
        if row.applied:
            self._db.execute(_INSERT_BY_OWNER, (record.owner, record.id, record.visibility))
        return bool(row.applied)

    def mark_ready(self, image_id: str) -> bool:
        """processing -> ready, once every stage is done (streams/indexing.py).
        False if the image is gone, failed or already ready."""
        return bool(self._db.execute(_MARK_READY, (_now(), image_id)).one().applied)

    def set_failed(self, image_id: str, code: str, reason: str) -> bool:
        """Mark the image failed with a stable code and a reason for people.
        False if the image was deleted meanwhile."""
        return bool(self._db.execute(_SET_FAILED, (code, reason, _now(), image_id)).one().applied)

    def retry(self, image_id: str) -> bool:
        """failed -> processing, before an operator sends the image through a
        stage again; False if it is not failed (or gone)."""
        return bool(self._db.execute(_RETRY, (_now(), image_id)).one().applied)

    def scan(self, page_size: int = 500) -> Iterator[ImageRecord]:
        """Every record, in token order, a page at a time (for operators'
        backfills: `./darkroom ops reprocess`)."""
        for row in self._db.execute(_SCAN, fetch_size=page_size):
            yield _record(row)

    def delete(self, image_id: str) -> ImageRecord | None:
        """Remove the record for good (a purge, or an upload undone), its listing
        row, its metadata and its dedup claim. Returns what was removed, None if
        there was nothing."""
        record = self.get(image_id)
        if record is None:
            return None
        self._db.batch((_DELETE, (image_id,)), (_DELETE_BY_OWNER, (record.owner, image_id)),
                       (_DELETE_METADATA, (image_id,)))
        self.release_hash(record.owner, record.sha256, image_id)
        return record

    # -- changes still to propagate (pending_changes) --------------------------

    def add_pending(self, image_id: str, kind: str, due: datetime | None = None) -> PendingChange:
        when = due or _now()
        when = when.replace(microsecond=when.microsecond // 1000 * 1000)  # what Cassandra keeps
        change = PendingChange(shard_of(image_id), image_id, uuid.uuid1(), kind, when)
        self._db.execute(_ADD_PENDING, (change.shard, image_id, change.change_id, kind, change.due))
        return change

    def pending(self, shard: int) -> list[PendingChange]:
        return [PendingChange(shard, r.image_id, r.change_id, r.kind, utc(r.due) or _now())
                for r in self._db.execute(_PENDING, (shard,))]

    def pending_of(self, image_id: str) -> list[PendingChange]:
        shard = shard_of(image_id)
        return [PendingChange(shard, image_id, r.change_id, r.kind, utc(r.due) or _now())
                for r in self._db.execute(_PENDING_OF, (shard, image_id))]

    def done_pending(self, change: PendingChange) -> None:
        self._db.execute(_DONE_PENDING, (change.shard, change.image_id, change.change_id))

    # -- dedup claims (images_by_hash) ---------------------------------------

    def claim_hash(self, owner: str, sha256: str, image_id: str) -> str | None:
        """Claim (owner, sha256) for `image_id`. Returns None if the claim is
        ours, else the id that holds it."""
        row = self._db.execute(_CLAIM, (owner, sha256, image_id, _now())).one()
        return None if row.applied else row.image_id

    def claimed_at(self, owner: str, sha256: str) -> datetime | None:
        row = self._db.execute(_CLAIMED_AT, (owner, sha256)).one()
        return utc(row.claimed_at) if row is not None else None

    def holders(self, owner: str, hashes: Iterable[str]) -> dict[str, str]:
        """Which of `hashes` `owner` has an image of (what an upload of those
        bytes would answer as a duplicate): hash -> image id. A claim whose
        record is missing (an upload in flight, or a crashed one) is left out."""
        wanted = list(dict.fromkeys(hashes))
        claims = [self._db.execute_async(_HOLDER, (owner, h)) for h in wanted]
        held = {h: row.image_id for h, f in zip(wanted, claims, strict=True) if (row := f.result().one())}
        records = {h: self._db.execute_async(_EXISTS, (i,)) for h, i in held.items()}
        return {h: held[h] for h, f in records.items() if f.result().one() is not None}

    def take_over_hash(self, owner: str, sha256: str, stale_id: str, image_id: str) -> bool:
        """Move a claim left behind by an upload that never made its record to
        `image_id`; False if someone else changed it first."""
        return bool(self._db.execute(_TAKE_OVER, (image_id, _now(), owner, sha256, stale_id)).one().applied)

    def release_hash(self, owner: str, sha256: str, image_id: str) -> None:
        """Drop the claim if `image_id` still holds it (never someone else's)."""
        self._db.execute(_RELEASE, (owner, sha256, image_id))

    # -- metadata (table image_metadata, written by the metadata stage) -----

    def save_metadata(self, image_id: str, metadata: ImageMetadata, skipped: list[SkippedField]) -> None:
        """One row per image: writing it again (a redelivery) replaces it."""
        self._db.execute(_SAVE_METADATA, (image_id, metadata.model_dump_json(),
                                          _SKIPPED.dump_json(skipped).decode(), _now()))

    def get_metadata(self, image_id: str) -> MetadataRecord | None:
        row = self._db.execute(_GET_METADATA, (image_id,)).one()
        if row is None:
            return None
        return MetadataRecord(metadata=ImageMetadata.model_validate_json(row.metadata),
                              skipped=_SKIPPED.validate_json(row.skipped or "[]"),
                              extracted_at=utc(row.extracted_at))
