"""Reading, listing, changing, sharing, deleting and restoring images: the
part after ingest. Who may do what is ingest_api/access.py's; an image
someone may not see does not exist for them (NotFound, never Forbidden), so
ids of private images leak nothing. Every change is recorded as a pending
change before it is made and propagated (objects moved, cache purged, event
published) by ingest_api/propagation.py. Blocking functions, run in threads.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from connectors import minio
from connectors.accounts import secret_hash
from connectors.records import ImageRecord, ImageRepository
from connectors.sharing import Share, Sharing
from ingest_api import cursors, ids
from ingest_api.access import Permission, Viewer, permission
from ingest_api.delivery import Delivery, largest
from ingest_api.errors import Forbidden, InvalidCursor, InvalidField, NotFound, NotReady
from ingest_api.propagation import DELETED, EXPIRE, PURGE, RESTORED, UPDATED, Propagator

log = logging.getLogger(__name__)

LISTED_FOR_OTHERS = frozenset({"public"})  # unlisted: reachable by id, never listed


def access(*, images: ImageRepository, sharing: Sharing, viewer: Viewer, image_id: str,
           need: Permission = Permission.VIEW, deleted: bool | None = False,
           shared: str | None = None) -> tuple[ImageRecord, Permission]:
    """The record and what the viewer may do with it, if at least `need`.
    `deleted`: False finds live images only (every read), True deleted ones
    only (restore), None either (delete, purge)."""
    record = images.get(image_id) if ids.is_valid(image_id) else None
    if record is None or (deleted is not None and record.deleted != deleted):
        raise NotFound(f"no image {image_id}")
    collaborators = (sharing.collaborators(image_id)
                     if viewer.username and viewer.username != record.owner else None)
    level = permission(record, viewer, collaborators, shared)
    if level == Permission.NONE:
        raise NotFound(f"no image {image_id}")
    if level < need:
        raise Forbidden("you may see this image but not do that (it needs "
                        f"{'the owner' if need == Permission.OWN else 'edit rights'})")
    return record, level


def list_images(*, images: ImageRepository, viewer: Viewer, owner: str, cursor: str | None,
                limit: int) -> tuple[list[ImageRecord], str | None]:
    after = cursors.decode(cursor) if cursor else None
    if after is not None and not (isinstance(after, str) and ids.is_valid(after)):
        raise InvalidCursor("the cursor is not one this API made")
    visibilities = None if owner == viewer.username else LISTED_FOR_OTHERS
    found, last = images.list_by_owner(owner, after, limit, visibilities)
    return found, cursors.encode(last) if last else None


def file_url(*, record: ImageRecord, level: Permission, delivery: Delivery) -> str:
    """The original for those who may edit; for everyone else the largest
    variant, which carries no metadata at all."""
    if level >= Permission.EDIT:
        return delivery.original_url(record)
    variant = largest(record.variants)
    if variant is None:
        raise NotReady("the image is still being processed")
    return delivery.variant_url(variant.key)


def update(*, images: ImageRepository, changes_out: Propagator, record: ImageRecord, level: Permission,
           changes: dict[str, object]) -> ImageRecord:
    """Change what the owner controls; visibility takes the owner."""
    changes = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if "visibility" in changes:
        if level < Permission.OWN:
            raise Forbidden("only the owner can change who may see the image")
        changes["placement"] = minio.placement(str(changes["visibility"]))
    if not changes:
        return record
    change = changes_out.record(record.id, UPDATED)
    if not images.update_fields(record.id, **changes):
        raise NotFound(f"no image {record.id}")  # purged meanwhile
    changes_out.run(change)
    log.info("updated image_id=%s fields=%s", record.id, ",".join(sorted(changes)))
    return _current(images, record.id)


def delete(*, images: ImageRepository, changes_out: Propagator, record: ImageRecord,
           retention: timedelta, purge: bool) -> bool:
    """Soft delete (restorable until the retention window ends), and purge
    now when asked. True once every effect is out; False when the relay
    will finish it (an engine is away)."""
    done = True
    if not record.deleted:
        purge_after = datetime.now(UTC) + retention
        change = changes_out.record(record.id, DELETED)
        changes_out.record(record.id, EXPIRE, due=purge_after)
        images.soft_delete(record, minio.TRASH, purge_after)
        done = changes_out.run(change)
    if purge:
        done = changes_out.run(changes_out.record(record.id, PURGE)) and done
    log.info("deleted image_id=%s purge=%s", record.id, purge)
    return done


def restore(*, images: ImageRepository, changes_out: Propagator, record: ImageRecord) -> ImageRecord:
    change = changes_out.record(record.id, RESTORED)
    if not images.restore(record, minio.placement(record.visibility)):
        raise NotFound(f"no deleted image {record.id}")
    changes_out.run(change)
    return _current(images, record.id)


def set_collaborator(*, sharing: Sharing, changes_out: Propagator, record: ImageRecord, username: str,
                     permission_: str | None) -> dict[str, str]:
    """Give `username` view or edit rights (None: take them away)."""
    if username == record.owner:
        raise InvalidField("the owner is not a collaborator of their own image")
    change = changes_out.record(record.id, UPDATED)  # shared_with goes to search
    if permission_ is None:
        sharing.remove_collaborator(record.id, username)
    else:
        sharing.set_collaborator(record.id, username, permission_)
    changes_out.run(change)
    return sharing.collaborators(record.id)


def create_share(*, sharing: Sharing, record: ImageRecord, created_by: str, permission_: str,
                 lifetime_s: int) -> tuple[str, datetime]:
    """A share link's token (shown once) and when it expires."""
    token = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(seconds=lifetime_s)
    sharing.add_share(secret_hash(token), Share(record.id, permission_, created_by, expires), lifetime_s)
    return token, expires


def shared(*, sharing: Sharing, token: str) -> Share:
    found = sharing.get_share(secret_hash(token))
    if found is None:
        raise NotFound("no such share link (it may have expired)")
    return found


def _current(images: ImageRepository, image_id: str) -> ImageRecord:
    record = images.get(image_id)
    if record is None:
        raise NotFound(f"no image {image_id}")
    return record
