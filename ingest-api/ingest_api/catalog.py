"""Reading, listing, editing and deleting images (the part after ingest).

Who sees what: the owner sees all their images; everyone else sees public
and unlisted images by id, and lists only public ones. An image someone may
not see does not exist for them (NotFound, never Forbidden), so ids of
private images leak nothing. Blocking functions, run in worker threads.
"""

from __future__ import annotations

import logging

from connectors import minio
from connectors.kafka import EventBus
from connectors.minio import ObjectStore
from connectors.nginx import DeliveryCache
from connectors.records import ImageRecord, ImageRepository
from ingest_api import cursors, ids
from ingest_api.delivery import Delivery, largest
from ingest_api.errors import Forbidden, InvalidCursor, NotFound, NotReady
from schemas.events import ImageDeleted, ImageUpdated, Variant

log = logging.getLogger(__name__)

LISTED_FOR_OTHERS = frozenset({"public"})  # unlisted: reachable by id, never listed


def can_view(record: ImageRecord, viewer: str) -> bool:
    return record.owner == viewer or record.visibility != "private"


def get_visible(*, images: ImageRepository, viewer: str, image_id: str) -> ImageRecord:
    record = images.get(image_id) if ids.is_valid(image_id) else None
    if record is None or not can_view(record, viewer):
        raise NotFound(f"no image {image_id}")
    return record


def get_own(*, images: ImageRepository, viewer: str, image_id: str) -> ImageRecord:
    record = get_visible(images=images, viewer=viewer, image_id=image_id)
    if record.owner != viewer:
        raise Forbidden("only the owner can change or delete an image")
    return record


def list_images(*, images: ImageRepository, viewer: str, owner: str, cursor: str | None,
                limit: int) -> tuple[list[ImageRecord], str | None]:
    after = cursors.decode(cursor) if cursor else None
    if after is not None and not (isinstance(after, str) and ids.is_valid(after)):
        raise InvalidCursor("the cursor is not one this API made")
    visibilities = None if owner == viewer else LISTED_FOR_OTHERS
    found, last = images.list_by_owner(owner, after, limit, visibilities)
    return found, cursors.encode(last) if last else None


def file_url(*, images: ImageRepository, delivery: Delivery, viewer: str, image_id: str) -> str:
    """The original for its owner; for everyone else the largest variant,
    which carries no location unless the owner kept it."""
    record = get_visible(images=images, viewer=viewer, image_id=image_id)
    if record.owner == viewer:
        return delivery.original_url(record)
    variant = largest(record.variants)
    if variant is None:
        raise NotReady("the image is still being processed")
    return delivery.variant_url(variant.key)


def _purge(cache: DeliveryCache, delivery: Delivery, keys: list[str]) -> None:
    for key in keys:
        if minio.is_public(key):
            cache.purge(delivery.variant_path(key))


def _move_variants(store: ObjectStore, variants: list[Variant], visibility: str) -> list[Variant]:
    """Copy variants to the prefix `visibility` needs (only public/ is
    anonymously readable and cached). Returns them with their new keys."""
    moved = []
    for v in variants:
        key = minio.for_visibility(v.key, visibility)
        if key != v.key:
            store.variants.copy(v.key, key)
        moved.append(v.model_copy(update={"key": key}))
    return moved


def update(*, images: ImageRepository, store: ObjectStore, cache: DeliveryCache, delivery: Delivery,
           bus: EventBus, viewer: str, image_id: str, changes: dict[str, object]) -> ImageRecord:
    record = get_own(images=images, viewer=viewer, image_id=image_id)
    changes = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if not changes:
        return record
    old_keys: list[str] = []
    if "visibility" in changes and record.variants:
        moved = _move_variants(store, record.variants, str(changes["visibility"]))
        if moved != record.variants:
            changes["variants"] = moved
            old_keys = [v.key for v in record.variants]
    if not images.update_fields(image_id, **changes):
        raise NotFound(f"no image {image_id}")  # deleted meanwhile
    for key in old_keys:
        store.variants.remove(key)
    _purge(cache, delivery, old_keys)  # a private image must stop being served from the cache at once
    updated = images.get(image_id)
    if updated is None:
        raise NotFound(f"no image {image_id}")
    bus.publish(ImageUpdated(image_id=image_id, owner=updated.owner, title=updated.title,
                             description=updated.description, tags=updated.tags,
                             visibility=updated.visibility))  # type: ignore[arg-type]
    log.info("updated image_id=%s fields=%s", image_id, ",".join(sorted(changes)))
    return updated


def delete(*, images: ImageRepository, store: ObjectStore, cache: DeliveryCache, delivery: Delivery,
           bus: EventBus, viewer: str, image_id: str) -> None:
    """Objects first, record last: a failure part way leaves the record, so
    repeating the DELETE finishes the job (every step can be repeated)."""
    record = get_own(images=images, viewer=viewer, image_id=image_id)
    keys = [v.key for v in record.variants]
    store.originals.remove(record.original_key)
    for key in keys:
        store.variants.remove(key)
    _purge(cache, delivery, keys)  # after the removals, so nginx cannot cache them again
    bus.publish(ImageDeleted(image_id=image_id, owner=record.owner))
    images.delete(image_id)
    log.info("deleted image_id=%s owner=%s variants=%d", image_id, record.owner, len(keys))
