"""Albums: a user's own, or an organization's.

    personal album       its user: everything
    organization album   owner, admin: everything (rename, delete, add, remove, reorder)
                         member: add and remove images, upload into it, see it
                         viewer: see it
    anyone else          the album does not exist for them (404)

An image uploaded into an organization's album belongs to the organization
(its storage counts against the organization's quota, its members see it).
Deleting an album leaves its images. Blocking functions, run in threads.
"""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.albums import Album, Albums
from connectors.orgs import Orgs
from connectors.usage import org_account, user_account
from ingest_api import ids
from ingest_api.access import MANAGING_ROLES, Viewer
from ingest_api.errors import Forbidden, NotFound

MANAGE, ADD, SEE = 3, 2, 1
_ROLE_RIGHTS = {"owner": MANAGE, "admin": MANAGE, "member": ADD, "viewer": SEE}


def rights(album: Album, viewer: Viewer) -> int:
    kind, _, name = album.account.partition(":")
    if kind == "user":
        return MANAGE if name == viewer.username else 0
    return _ROLE_RIGHTS.get(viewer.orgs.get(name, ""), 0)


def org_of(album: Album) -> str | None:
    kind, _, name = album.account.partition(":")
    return name if kind == "org" else None


def get(*, albums: Albums, viewer: Viewer, album_id: str, need: int = SEE) -> Album:
    album = albums.get(album_id) if ids.is_valid(album_id) else None
    level = rights(album, viewer) if album is not None else 0
    if album is None or level == 0:
        raise NotFound(f"no album {album_id}")
    if level < need:
        raise Forbidden("your role in this album's organization does not allow that")
    return album


def create(*, albums: Albums, orgs: Orgs, viewer: Viewer, name: str, org: str | None) -> Album:
    assert viewer.username is not None
    if org is not None:
        if org not in viewer.orgs:
            raise NotFound(f"no organization {org}")
        if viewer.orgs[org] not in MANAGING_ROLES:
            raise Forbidden("only an organization's owners and admins make its albums")
    album = Album(ids.new_id(), org_account(org) if org else user_account(viewer.username), name,
                  viewer.username, datetime.now(UTC))
    albums.create(album)
    return album


def account_for(viewer: Viewer, org: str | None) -> str:
    """Whose albums a listing shows: the caller's, or an organization's they belong to."""
    assert viewer.username is not None
    if org is None:
        return user_account(viewer.username)
    if org not in viewer.orgs:
        raise NotFound(f"no organization {org}")
    return org_account(org)
