"""Propagating a change of an image until it is done.

A change (an edit, new collaborators or albums, a delete, a restore, a
purge) is recorded in Cassandra as a pending change *before* the image's
row changes, so it is never lost: whoever changed the row (the API, right
away) and a relay that retries what is left (every API replica, every
`DARKROOM_API_RELAY_INTERVAL_S`) run `propagate` until it succeeds. Every
step can be repeated: objects are copied before their old keys go, cache
purges and removals are idempotent, and each event's id derives from the
change's, so a repeat publishes the same event, which consumers drop.

Converging is the heart of it: the variants of an image must live under
its placement (connectors/minio.placement: public/, private/ or trash/)
and nowhere else, and nginx must hold no copy of a key that moved or went.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors import minio
from connectors.albums import Albums
from connectors.errors import is_unavailable
from connectors.kafka import EventBus
from connectors.minio import ObjectStore
from connectors.nginx import DeliveryCache
from connectors.records import PENDING_SHARDS, ImageRecord, ImageRepository, PendingChange
from connectors.sharing import Sharing
from connectors.usage import Usage, account_of
from ingest_api import ingest
from ingest_api.delivery import Delivery
from ingest_api.periodic import Periodic
from schemas.events import Event, ImageDeleted, ImagePurged, ImageRestored, ImageUpdated

log = logging.getLogger(__name__)

# Kinds of change. PURGE is asked for; EXPIRE is scheduled at a delete for when
# the retention window ends (and does nothing if the image was restored).
UPDATED, DELETED, RESTORED, PURGE, EXPIRE = "updated", "deleted", "restored", "purge", "expire"


class Moved(Exception):
    """The image changed while its variants were being moved: read it again."""


def changed_at(change: PendingChange) -> datetime:
    """When the change was made: the time in its version-1 UUID (100 ns since 1582)."""
    return datetime.fromtimestamp((change.change_id.time - 0x01B21DD213814000) / 1e7, UTC)


@dataclass
class Propagator:
    images: ImageRepository
    store: ObjectStore
    cache: DeliveryCache
    delivery: Delivery
    bus: EventBus
    sharing: Sharing
    albums: Albums
    usage: Usage

    def record(self, image_id: str, kind: str, due: datetime | None = None) -> PendingChange:
        """Note a change before making it (so a crash in between still propagates)."""
        return self.images.add_pending(image_id, kind, due)

    def run(self, change: PendingChange) -> bool:
        """Propagate `change` now; False (left for the relay) if an engine is away."""
        try:
            self.propagate(change)
            return True
        except Exception as exc:
            if not (is_unavailable(exc) or isinstance(exc, Moved)):
                raise
            log.warning("propagation deferred image_id=%s kind=%s: %s", change.image_id, change.kind, exc)
            return False

    def propagate(self, change: PendingChange) -> None:
        record = self.images.get(change.image_id)
        if change.kind in (PURGE, EXPIRE):
            self._purge(change, record)
        elif record is not None:
            self.converge(record)
            self.bus.publish(self._event(change, record))
        self.images.done_pending(change)
        log.info("propagated image_id=%s kind=%s", change.image_id, change.kind)

    def converge(self, record: ImageRecord) -> None:
        """Variants under the record's placement, nothing left under another, no stale cached copy."""
        where = record.placement or minio.placement(record.visibility, record.deleted)
        moved = []
        for variant in record.variants:
            key = minio.placed(variant.key, where)
            # Copied unless a repeat already did; a variant gone from both places (never expected)
            # is dropped rather than listed broken. A rung rendered on demand is only renamed: it
            # is rendered where it is asked for (one rendered before goes with the sweep below).
            if key != variant.key and not variant.on_demand and self.store.variants.stat(key) is None:
                if self.store.variants.stat(variant.key) is None:
                    log.error("variant lost image_id=%s key=%s", record.id, variant.key)
                    continue
                self.store.variants.copy(variant.key, key)
                # nginx may hold a brief 404 of the key from before it existed.
                self.cache.purge(self.delivery.variant_path(key))
            moved.append(variant.model_copy(update={"key": key}))
        if moved != record.variants and not self.images.move_variants(record.id, record.variants, moved,
                                                                      record.placement):
            raise Moved(record.id)
        for other in minio.PLACEMENTS:
            if other != where:
                self._remove(self.store.variants.keys(f"{other}v/{record.id}/"))

    def _remove(self, keys: list[str]) -> None:
        # Removed first, then purged: nginx cannot cache them again in between.
        for key in keys:
            self.store.variants.remove(key)
        for key in keys:
            self.cache.purge(self.delivery.variant_path(key))

    def _event(self, change: PendingChange, record: ImageRecord) -> Event:
        # Dated when the change was made, not when it got out: consumers order facts
        # by occurred_at, and a relay may publish a delete after the restore that followed it.
        facts = dict(event_id=uuid.uuid5(change.change_id, change.kind).hex, occurred_at=changed_at(change),
                     image_id=record.id, owner=record.owner)
        if change.kind == DELETED:
            return ImageDeleted(**facts)
        if change.kind == RESTORED:
            return ImageRestored(**facts)
        return ImageUpdated(**facts, title=record.title, description=record.description, tags=record.tags,
                            visibility=record.visibility, org=record.org,  # type: ignore[arg-type]
                            shared_with=sorted(self.sharing.collaborators(record.id)),
                            albums=self.albums.of_image(record.id))

    def _purge(self, change: PendingChange, record: ImageRecord | None) -> None:
        """Remove a deleted image for good: original, variants, cached copies,
        rows, and say so. An expiry of an image restored meanwhile, or deleted
        again later (a later expiry), does nothing."""
        if record is None or not record.deleted:
            return
        if change.kind == EXPIRE and (record.purge_after or datetime.now(UTC)) > datetime.now(UTC):
            return
        self.store.originals.remove(record.original_key)
        self._remove([key for where in minio.PLACEMENTS
                      for key in self.store.variants.keys(f"{where}v/{record.id}/")])
        for album in self.albums.of_image(record.id):
            self.albums.remove(album, record.id)
        self.sharing.forget_image(record.id)
        if self.images.delete(record.id) is not None:
            self.usage.add(account_of(record.owner, record.org), -record.byte_size)
        self.bus.publish(ImagePurged(event_id=uuid.uuid5(change.change_id, PURGE).hex,
                                     occurred_at=changed_at(change), image_id=record.id, owner=record.owner,
                                     reason="requested" if change.kind == PURGE else "retention"))


class Relay(Periodic):
    """Retries every pending change that is due, and sweeps abandoned staging
    objects, in a background thread of the API process (each replica runs
    one: their work is idempotent, so overlapping does no harm)."""

    def __init__(self, propagator: Propagator, interval_s: float, staging_max_age_s: float) -> None:
        super().__init__("relay", interval_s)
        self._propagator = propagator
        self._staging_age = timedelta(seconds=staging_max_age_s)

    def run_once(self) -> int:
        """One pass over every shard; returns how many changes it finished."""
        done = 0
        now = datetime.now(UTC)
        for shard in range(PENDING_SHARDS):
            for change in self._propagator.images.pending(shard):
                if change.due <= now and self._propagator.run(change):
                    done += 1
        ingest.sweep_staging(originals=self._propagator.store.originals, older_than=self._staging_age)
        return done
