"""Reading, listing, editing and deleting images (the part after ingest).

Who sees what: the owner sees all their images; everyone else sees public
and unlisted images by id, and lists only public ones. An image someone may
not see does not exist for them (NotFound, never Forbidden), so ids of
private images leak nothing. Blocking functions, run in worker threads.
"""

from __future__ import annotations

import base64
import binascii
import logging

from connectors import minio, nginx, records
from connectors.records import ImageRecord
from ingest_api import delivery, events, ids
from ingest_api.errors import Forbidden, InvalidCursor, NotFound, NotReady
from ingest_api.services import Services
from schemas.events import ImageDeleted, ImageUpdated, Variant

log = logging.getLogger(__name__)

LISTED_FOR_OTHERS = frozenset({"public"})  # unlisted: reachable by id, never listed


def can_view(record: ImageRecord, viewer: str) -> bool:
    return record.owner == viewer or record.visibility != "private"


def get_visible(svc: Services, viewer: str, image_id: str) -> ImageRecord:
    record = records.get(svc.db, image_id) if ids.is_valid(image_id) else None
    if record is None or not can_view(record, viewer):
        raise NotFound(f"no image {image_id}")
    return record


def get_own(svc: Services, viewer: str, image_id: str) -> ImageRecord:
    record = get_visible(svc, viewer, image_id)
    if record.owner != viewer:
        raise Forbidden("only the owner can change or delete an image")
    return record


def encode_cursor(image_id: str) -> str:
    return base64.urlsafe_b64encode(image_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        image_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        image_id = ""
    if not ids.is_valid(image_id):
        raise InvalidCursor("the cursor is not one this API made")
    return image_id


def list_images(svc: Services, viewer: str, owner: str, cursor: str | None,
                limit: int) -> tuple[list[ImageRecord], str | None]:
    after = decode_cursor(cursor) if cursor else None
    visibilities = None if owner == viewer else LISTED_FOR_OTHERS
    found, last = records.list_by_owner(svc.db, owner, after, limit, visibilities)
    return found, encode_cursor(last) if last else None


def file_url(svc: Services, viewer: str, image_id: str) -> str:
    """The original for its owner; for everyone else the largest variant,
    which carries no location unless the owner kept it."""
    record = get_visible(svc, viewer, image_id)
    if record.owner == viewer:
        return delivery.original_url(svc, record)
    variant = delivery.largest(record.variants)
    if variant is None:
        raise NotReady("the image is still being processed")
    return delivery.variant_url(svc, variant.key)


def _purge(svc: Services, keys: list[str]) -> None:
    for key in keys:
        if delivery.is_public_key(key):
            nginx.purge(svc.nginx, f"/{svc.minio.variants_bucket}/{key}")


def _move_variants(svc: Services, variants: list[Variant], visibility: str) -> list[Variant]:
    """Copy variants to the prefix `visibility` needs (only public/ is
    anonymously readable and cached). Returns them with their new keys."""
    prefix = "private" if visibility == "private" else "public"
    moved = []
    for v in variants:
        head, sep, rest = v.key.partition("/")
        key = f"{prefix}/{rest}" if sep and head in ("public", "private") else v.key
        if key != v.key:
            minio.copy(svc.store, svc.minio.variants_bucket, v.key, key)
        moved.append(v.model_copy(update={"key": key}))
    return moved


def update(svc: Services, viewer: str, image_id: str, changes: dict[str, object]) -> ImageRecord:
    record = get_own(svc, viewer, image_id)
    changes = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if not changes:
        return record
    old_keys: list[str] = []
    if "visibility" in changes and record.variants:
        moved = _move_variants(svc, record.variants, str(changes["visibility"]))
        if moved != record.variants:
            changes["variants"] = moved
            old_keys = [v.key for v in record.variants]
    if not records.update_fields(svc.db, image_id, **changes):
        raise NotFound(f"no image {image_id}")  # deleted meanwhile
    for key in old_keys:
        minio.remove(svc.store, svc.minio.variants_bucket, key)
    _purge(svc, old_keys)  # a private image must stop being served from the cache at once
    updated = records.get(svc.db, image_id)
    if updated is None:
        raise NotFound(f"no image {image_id}")
    events.emit(svc.producer, ImageUpdated(
        image_id=image_id, owner=updated.owner, title=updated.title, description=updated.description,
        tags=updated.tags, visibility=updated.visibility), svc.api.publish_timeout_s)
    log.info("updated image_id=%s fields=%s", image_id, ",".join(sorted(changes)))
    return updated


def delete(svc: Services, viewer: str, image_id: str) -> None:
    """Objects first, record last: a failure part way leaves the record, so
    repeating the DELETE finishes the job (every step can be repeated)."""
    record = get_own(svc, viewer, image_id)
    keys = [v.key for v in record.variants]
    minio.remove(svc.store, svc.minio.originals_bucket, record.original_key)
    for key in keys:
        minio.remove(svc.store, svc.minio.variants_bucket, key)
    _purge(svc, keys)  # after the removals, so nginx cannot cache them again
    events.emit(svc.producer, ImageDeleted(image_id=image_id, owner=record.owner),
                svc.api.publish_timeout_s)
    records.delete(svc.db, image_id)
    log.info("deleted image_id=%s owner=%s variants=%d", image_id, record.owner, len(keys))
