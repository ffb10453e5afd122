"""The reconciler: what the doors' clients and tusd's hooks leave undone.

Every DARKROOM_API_RECONCILE_INTERVAL_S each API process reads the open
uploads (connectors/uploads.py `open_uploads`, sharded) and, for each:

- a tus upload whose object is complete in storage (tusd joins the parts
  only once the last byte is in) and older than DARKROOM_API_HANDOFF_GRACE_S,
  still `created`: its post-finish hook was lost (the API was away, tusd
  gave up after three tries). It is handed off (handoff.py), as the hook
  would have. A hand-off whose holder died is taken over once its claim is
  stale (DARKROOM_API_STALE_CLAIM_S).
- an upload not finished by its `expires_at` (DARKROOM_API_UPLOAD_EXPIRY_S
  after creation): its multipart upload is aborted, its objects removed,
  and it ends `expired` (tusd has no expiration extension).
- an upload at an end still listed: the listing goes.

Then, as a net for rows that vanished (Cassandra TTL), objects under the
doors' prefixes older than the longest an upload may live are swept.

It runs in its own thread, not in the relay's (ingest_api/propagation.py):
a hand-off reads a whole original back from storage (seconds for a large
one), which must not hold up the propagation of visibility changes, and the
two have their own intervals. Each replica runs one; the claim (LWT) makes
their work safe to overlap.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

from connectors.uploads import COMMITTING, CREATED, DIRECT, ENDS, EXPIRED, FINISHED, SHARDS, TUS, Upload
from ingest_api import ingest, tus
from ingest_api.errors import DarkroomError
from ingest_api.handoff import Doors, hand_off
from ingest_api.periodic import Periodic

log = logging.getLogger(__name__)


class Reconciler(Periodic):
    def __init__(self, doors: Doors) -> None:
        super().__init__("reconciler", doors.settings.reconcile_interval_s)
        self._doors = doors

    def run_once(self) -> Counter[str]:
        """One pass over every shard; what it did, by kind (handed_off, expired, forgotten, swept)."""
        done: Counter[str] = Counter()
        uploads = self._doors.uploads
        for shard in range(SHARDS):
            for upload_id in uploads.open_ids(shard):
                row = uploads.get(upload_id)
                if row is None or row.state in ENDS:
                    uploads.forget_open(upload_id)
                    done["forgotten"] += 1
                    continue
                try:
                    kind = self._reconcile(row)
                except DarkroomError as exc:  # an upload in flight elsewhere, say: next pass
                    log.info("reconcile deferred id=%s: %s", row.id, exc.code)
                    kind = None
                if kind:
                    done[kind] += 1
        done["swept"] += self._sweep()
        if any(done.values()):
            log.info("reconciled %s", dict(done))
        return done

    def _reconcile(self, row: Upload) -> str | None:
        now = datetime.now(UTC)
        if row.state in (CREATED, FINISHED) and row.expires_at <= now:
            self._expire(row)
            return "expired"
        if row.door == TUS and row.state in (CREATED, COMMITTING) and self._finished(row, now):
            tus.settle(row.id, self._doors)
            return "handed_off"
        if row.door == DIRECT and row.state == COMMITTING:  # a complete whose process died
            hand_off(row.id, self._doors)
            return "handed_off"
        return None

    def _finished(self, row: Upload, now: datetime) -> bool:
        found = self._doors.originals.stat(row.key)
        grace = timedelta(seconds=self._doors.settings.handoff_grace_s)
        return (found is not None and found.size == row.size
                and (found.last_modified is None or found.last_modified <= now - grace))

    def _expire(self, row: Upload) -> None:
        originals = self._doors.originals
        if tus.is_tus(row):
            tus.clean(row, originals, self._doors.uploads, end=EXPIRED)
        else:
            originals.abort_multipart(row.key)
            originals.remove(row.key)
        self._doors.uploads.close(row.id, EXPIRED, "upload_expired", "not finished in time")
        log.info("upload expired id=%s door=%s", row.id, row.door)

    def _sweep(self) -> int:
        settings = self._doors.settings
        age = timedelta(seconds=settings.upload_expiry_s + settings.stale_claim_s + settings.handoff_grace_s)
        return sum(len(ingest.sweep_staging(originals=self._doors.originals, older_than=age, prefix=door,
                                            skip=())) for door in ingest.DOORS)
