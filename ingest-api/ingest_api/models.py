"""What the API reads and answers, as pydantic models (they make /docs too)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.events import ImageMetadata, SkippedField, Visibility

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
TAGS_MAX = 50
TAG_MAX = 64


def clean_tags(value: object) -> list[str]:
    """Comma-separated text or a list; trimmed, empty ones dropped, repeats removed."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("tags must be a list of strings or comma-separated text")
    tags = list(dict.fromkeys(str(t).strip() for t in items if str(t).strip()))
    if len(tags) > TAGS_MAX:
        raise ValueError(f"at most {TAGS_MAX} tags")
    if any(len(t) > TAG_MAX for t in tags):
        raise ValueError(f"a tag has at most {TAG_MAX} characters")
    return tags


class UploadFields(BaseModel):
    """The text fields of an upload form (for a batch: applied to every file)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    tags: list[str] = Field(default_factory=list)
    visibility: Visibility = "public"
    gps: bool = Field(False, description="true keeps the photo's location, readable by the owner and "
                                         "those who may edit the image (in /metadata and search's `near`); "
                                         "never shown to anyone else, never in variants")

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> list[str]:
        return clean_tags(value)


class ImagePatch(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    tags: list[str] | None = None
    visibility: Visibility | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> list[str]:
        return clean_tags(value)  # null clears them

    @field_validator("visibility")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("visibility cannot be null")
        return value


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable, e.g. too_large.")
    message: str = Field(description="For people.")


class ErrorBody(BaseModel):
    error: ErrorDetail


class VariantOut(BaseModel):
    width: int
    height: int
    format: str
    url: str = Field(description="Through the nginx cache; signed and short-lived for private images.")


class ImageOut(BaseModel):
    id: str
    owner: str
    title: str | None
    description: str | None
    tags: list[str]
    visibility: Visibility
    status: Literal["processing", "ready", "failed"]
    reason: str | None = Field(None, description="Why processing failed, for people.")
    failure_code: str | None = Field(None, description="Why processing failed, stable code.")
    width: int
    height: int
    frames: int
    mime_type: str
    byte_size: int
    created_at: datetime
    variants: list[VariantOut]
    srcset: str | None = Field(None, description="The JPEG variants, for <img srcset> (JPEG: every "
                                                 "browser decodes it).")
    placeholder: str | None = Field(None, description="ThumbHash, base64.")
    dominant_color: str | None = None
    file_url: str = Field(description="API path that redirects to the original (owner) or the "
                                      "largest variant (everyone else).")
    duplicate: bool = Field(False, description="True when the upload matched an image already there.")


class Accepted(BaseModel):
    id: str
    status: Literal["processing"] = "processing"
    status_url: str


class FileResult(BaseModel):
    filename: str
    status: Literal["accepted", "duplicate", "rejected"]
    id: str | None = None
    error: ErrorDetail | None = None


class BatchOut(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    files: list[FileResult]


class ImagePage(BaseModel):
    items: list[ImageOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


# -- search ------------------------------------------------------------------

class ModelTag(BaseModel):
    tag: str
    confidence: float = Field(description="0-1, the classifier's.")


class SearchItem(BaseModel):
    id: str
    owner: str
    title: str | None
    description: str | None
    tags: list[str] = Field(description="The owner's tags.")
    model_tags: list[ModelTag] = Field(description="What the classifier saw, kept apart from the owner's.")
    visibility: Visibility
    created_at: datetime | None
    taken_at: str | None = Field(None, description="When the photo was taken (EXIF), ISO 8601.")
    camera: str | None = None
    lens: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: Literal["landscape", "portrait", "square"] | None = None
    format: str | None = None
    location: list[float] | None = Field(None, description="[lat, lon], only when the owner kept it.")
    placeholder: str | None = Field(None, description="ThumbHash, base64.")
    dominant_color: str | None = None
    variants: list[VariantOut]


class Facet(BaseModel):
    value: str
    count: int


class SearchOut(BaseModel):
    items: list[SearchItem]
    facets: dict[str, list[Facet]] = Field(description="`tags`, `cameras` and `years` of every match, "
                                                       "with counts.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` (with the same search) for the "
                                                      "next page; null on the last.")


class TagsOut(BaseModel):
    tags: list[Facet] = Field(description="Tag names (owners' and the classifier's, folded), most used "
                                          "first.")


# -- metadata ------------------------------------------------------------------

class MetadataOut(BaseModel):
    id: str
    metadata: ImageMetadata = Field(description="What the metadata stage read from the original; the "
                                                "location only when the owner kept it.")
    skipped: list[SkippedField] = Field(description="Fields present in the file but unreadable or "
                                                    "implausible, with why.")
    extracted_at: datetime


# -- accounts and keys ---------------------------------------------------------

class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str = Field(description="Works once; each refresh answers a new one.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token lasts.")


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(max_length=200)


class Usage(BaseModel):
    used_bytes: int
    quota_bytes: int


class OrgMembership(BaseModel):
    id: str
    role: str


class MeOut(BaseModel):
    username: str
    scopes: list[str]
    is_admin: bool
    usage: Usage
    orgs: list[OrgMembership]


Scope = Literal["upload", "read", "admin"]


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The start of the key, to recognise it (the rest is never shown again).")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked: bool = False


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class QuotaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bytes: int = Field(gt=0)


# -- organizations, albums, sharing ------------------------------------------

OrgRole = Literal["owner", "admin", "member", "viewer"]
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class OrgIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN, description="Chosen by the creator; a-z, 0-9, _ and -.")
    name: str = Field(min_length=1, max_length=200)


class OrgOut(BaseModel):
    id: str
    name: str
    members: dict[str, str] = Field(description="User name -> role.")
    usage: Usage


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    role: OrgRole


class AlbumIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    org: str | None = Field(None, description="Make it the organization's album (owners and admins).")


class AlbumRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class AlbumOut(BaseModel):
    id: str
    name: str
    account: str = Field(description="user:<name> or org:<id>.")
    created_by: str
    created_at: datetime


class AlbumPage(BaseModel):
    items: list[AlbumOut]
    next_cursor: str | None = None


class AlbumImagesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    add: list[str] = Field(default_factory=list, max_length=500)
    remove: list[str] = Field(default_factory=list, max_length=500)
    order: list[str] | None = Field(None, max_length=10_000, description="The album's images in this order.")


class CollaboratorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    permission: Literal["view", "edit"] | None = Field(description="null removes the collaborator.")


class CollaboratorsOut(BaseModel):
    collaborators: dict[str, str] = Field(description="User name -> view or edit.")


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    permission: Literal["view", "edit"] = "view"
    expires_in_s: int = Field(86_400, gt=0, description="Lifetime of the link, at most "
                                                        "DARKROOM_API_SHARE_MAX_LIFETIME_S.")


class ShareOut(BaseModel):
    url: str = Field(description="Opens the image for anyone holding it, until it expires.")
    token: str
    expires_at: datetime
