"""Uploads through the resumable (tus) and direct (presigned PUT) doors, in
Cassandra (tables `uploads` and `open_uploads`): the only code that speaks
their CQL. Every method blocks.

An upload's state moves only forwards, each move one conditional write:

    created    -> finished     a tus part is complete (a concatenation joins it)      finish_part
    created    -> committing   a hand-off claims it (LWT)                             claim
    committing -> committing   a stale claim taken over (its holder died)            claim
    committing -> created      the holder met an engine that was away: retry later   release
    committing -> committed    the image is recorded (or was a duplicate)            commit
    committing -> refused      the object was refused (too large, not an image, ...) refuse
    created/finished -> refused | expired | terminated                              close

`open_uploads` lists the uploads not at an end, for the reconciler.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from connectors.cassandra import Cassandra, utc

CREATED, FINISHED, COMMITTING = "created", "finished", "committing"
COMMITTED, REFUSED, EXPIRED, TERMINATED = "committed", "refused", "expired", "terminated"
ENDS = frozenset({COMMITTED, REFUSED, EXPIRED, TERMINATED})
TUS, TUS_PART, DIRECT = "tus", "tus-part", "direct"
SHARDS = 16


def _now() -> datetime:
    return datetime.now(UTC)


def shard_of(upload_id: str) -> int:
    return int(uuid.uuid5(uuid.NAMESPACE_OID, upload_id).int % SHARDS)


@dataclass
class Upload:
    id: str
    door: str
    owner: str
    key: str  # the object in the originals bucket
    size: int  # declared when it was created
    created_at: datetime
    expires_at: datetime
    org: str | None = None
    album: str | None = None
    mime_type: str | None = None  # declared; direct uploads must match it
    sha256: str | None = None  # declared; verified when the object is checked
    stored_sha256: str | None = None  # what the object hashed to, once a hand-off read it
    meta: dict = field(default_factory=dict)  # title, description, tags, visibility, gps
    parts: list[str] = field(default_factory=list)  # a tus concatenation's parts (their ids)
    multipart_id: str | None = None  # a direct multipart upload's S3 id
    state: str = CREATED
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    image_id: str | None = None
    duplicate: bool = False
    error_code: str | None = None
    error_message: str | None = None
    finished_at: datetime | None = None


COLUMNS = tuple(f.name for f in fields(Upload))
_INSERT = f"INSERT INTO uploads ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM uploads WHERE id = ?"
_OPEN = "INSERT INTO open_uploads (shard, id) VALUES (?, ?)"
_CLOSE_OPEN = "DELETE FROM open_uploads WHERE shard = ? AND id = ?"
_LIST_OPEN = "SELECT id FROM open_uploads WHERE shard = ?"
_CLAIM = ("UPDATE uploads SET state = 'committing', claimed_by = ?, claimed_at = ? WHERE id = ? "
          "IF state = 'created'")
_TAKE_OVER = ("UPDATE uploads SET claimed_by = ?, claimed_at = ? WHERE id = ? "
              "IF state = 'committing' AND claimed_by = ?")
_RELEASE = ("UPDATE uploads SET state = 'created', claimed_by = null, claimed_at = null WHERE id = ? "
            "IF state = 'committing' AND claimed_by = ?")
_HASHED = "UPDATE uploads SET stored_sha256 = ? WHERE id = ? IF claimed_by = ?"
_COMMIT = ("UPDATE uploads SET state = 'committed', image_id = ?, duplicate = ?, finished_at = ? "
           "WHERE id = ? IF state = 'committing' AND claimed_by = ?")
_REFUSE = ("UPDATE uploads SET state = 'refused', error_code = ?, error_message = ?, finished_at = ? "
           "WHERE id = ? IF state = 'committing' AND claimed_by = ?")
_FINISH_PART = "UPDATE uploads SET state = 'finished', finished_at = ? WHERE id = ? IF state = 'created'"
_CLOSE = ("UPDATE uploads SET state = ?, error_code = ?, error_message = ?, finished_at = ? WHERE id = ? "
          "IF state IN ('created', 'finished')")
_SET_MULTIPART = "UPDATE uploads SET multipart_id = ? WHERE id = ?"


def _row(row) -> Upload:
    values = row._asdict()
    values["meta"] = json.loads(values["meta"] or "{}")
    values["parts"] = list(values["parts"] or [])
    values["duplicate"] = bool(values["duplicate"])
    for moment in ("created_at", "expires_at", "claimed_at", "finished_at"):
        values[moment] = utc(values[moment])
    return Upload(**values)


class UploadRepository:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def create(self, upload: Upload) -> None:
        """Write the upload and list it as open, together (a logged batch)."""
        values = [getattr(upload, c) for c in COLUMNS]
        values[COLUMNS.index("meta")] = json.dumps(upload.meta)
        self._db.batch((_INSERT, values), (_OPEN, (shard_of(upload.id), upload.id)))

    def get(self, upload_id: str) -> Upload | None:
        row = self._db.execute(_SELECT, (upload_id,)).one()
        return _row(row) if row is not None else None

    def open_ids(self, shard: int) -> list[str]:
        return [r.id for r in self._db.execute(_LIST_OPEN, (shard,))]

    def set_multipart(self, upload_id: str, multipart_id: str) -> None:
        self._db.execute(_SET_MULTIPART, (multipart_id, upload_id))

    # -- the hand-off ----------------------------------------------------------

    def claim(self, upload_id: str, by: str, stale_before: datetime) -> Upload | None:
        """Take the upload for a hand-off by `by`: the row if it is ours now;
        None if it is at an end, not created yet as far as a hand-off goes (a
        part), or held by a claim newer than `stale_before`."""
        now = _now()
        row = self._db.execute(_CLAIM, (by, now, upload_id)).one()
        if not row.applied:
            # A row that does not exist answers with [applied] alone.
            if getattr(row, "state", None) != COMMITTING or (utc(row.claimed_at) or now) >= stale_before:
                return None
            if not self._db.execute(_TAKE_OVER, (by, now, upload_id, row.claimed_by)).one().applied:
                return None
        return self.get(upload_id)

    def release(self, upload_id: str, by: str) -> None:
        """Give a claim back (an engine was away): a later hand-off tries again."""
        self._db.execute(_RELEASE, (upload_id, by))

    def hashed(self, upload_id: str, by: str, sha256: str) -> None:
        """Note what the object hashed to before it is committed, so a hand-off
        that dies after the commit can still find the image."""
        self._db.execute(_HASHED, (sha256, upload_id, by))

    def commit(self, upload_id: str, by: str, image_id: str, duplicate: bool) -> bool:
        done = bool(self._db.execute(_COMMIT, (image_id, duplicate, _now(), upload_id, by)).one().applied)
        if done:
            self._db.execute(_CLOSE_OPEN, (shard_of(upload_id), upload_id))
        return done

    def refuse(self, upload_id: str, by: str, code: str, message: str) -> bool:
        done = bool(self._db.execute(_REFUSE, (code, message, _now(), upload_id, by)).one().applied)
        if done:
            self._db.execute(_CLOSE_OPEN, (shard_of(upload_id), upload_id))
        return done

    # -- without a hand-off ----------------------------------------------------

    def finish_part(self, upload_id: str) -> bool:
        """A tus part is complete: it waits, open, for the concatenation that joins it."""
        return bool(self._db.execute(_FINISH_PART, (_now(), upload_id)).one().applied)

    def close(self, upload_id: str, state: str, code: str | None = None, message: str | None = None) -> bool:
        """End an upload no hand-off holds (expired, terminated, or a part
        whose concatenation is done); False if it was at an end or claimed."""
        assert state in ENDS
        applied = bool(self._db.execute(_CLOSE, (state, code, message, _now(), upload_id)).one().applied)
        if applied:
            self.forget_open(upload_id)
        return applied

    def forget_open(self, upload_id: str) -> None:
        self._db.execute(_CLOSE_OPEN, (shard_of(upload_id), upload_id))
