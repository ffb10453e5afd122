"""Who may do what with an image: decided here, once, for every route.

    owner                          -> own   (everything: edit, share, delete, restore)
    organization owner or admin    -> own   (for the organization's images)
    collaborator `edit`            -> edit  (title, description, tags, albums)
    collaborator `view`, an
    organization member or viewer  -> view  (the organization's images of any visibility)
    share link                     -> its permission, for that image only
    anyone, public or unlisted     -> view
    anyone else                    -> none  (and the image does not exist for them: 404)

A deleted image exists only for its owners (to restore or purge it).
Location (GPS kept with `gps=true`) is shown to those who may edit.
Searches and listings apply the same rules as filters (search.visible_to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from connectors.records import ImageRecord
from ingest_api.auth import Principal

MANAGING_ROLES = frozenset({"owner", "admin"})


class Permission(IntEnum):
    NONE = 0
    VIEW = 1
    EDIT = 2
    OWN = 3


@dataclass(frozen=True)
class Viewer:
    """The caller as access decisions see them: who, and their organizations."""

    principal: Principal | None = None
    orgs: dict[str, str] = field(default_factory=dict)  # org id -> role

    @property
    def username(self) -> str | None:
        return self.principal.username if self.principal else None

    @property
    def managed_orgs(self) -> frozenset[str]:
        return frozenset(org for org, role in self.orgs.items() if role in MANAGING_ROLES)


ANONYMOUS = Viewer()


def permission(record: ImageRecord, viewer: Viewer, collaborators: dict[str, str] | None = None,
               shared: str | None = None) -> Permission:
    """What `viewer` may do with `record` (collaborators: username -> view|edit;
    shared: the permission of a share link presented for this image)."""
    name = viewer.username
    role = viewer.orgs.get(record.org) if record.org else None
    if name == record.owner or role in MANAGING_ROLES:
        return Permission.OWN
    if record.deleted:
        return Permission.NONE
    granted = [Permission.NONE]
    if role is not None or record.visibility != "private":
        granted.append(Permission.VIEW)
    if name is not None and collaborators and name in collaborators:
        granted.append(Permission.EDIT if collaborators[name] == "edit" else Permission.VIEW)
    if shared is not None:
        granted.append(Permission.EDIT if shared == "edit" else Permission.VIEW)
    return max(granted)


def sees_location(level: Permission) -> bool:
    return level >= Permission.EDIT
