"""What the API reads and answers, as pydantic models (they make /docs too)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ingest_api.config import USER_NAME
from schemas.events import ImageMetadata, SkippedField, Visibility

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
TAGS_MAX = 50
TAG_MAX = 64


def _no_controls(text: str, allowed: str = "") -> str:
    """Refuse control characters (NUL, escapes, ...): they would end up in
    search, listings and the public tag list. Only `allowed` ones pass."""
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cs")
                  and c not in allowed})
    if bad:
        raise ValueError(f"control characters are not allowed: {', '.join(bad)}")
    return text


# One line of text (names, titles, tags), and a paragraph (descriptions: line breaks and tabs).
Line = Annotated[str, AfterValidator(_no_controls)]
Paragraph = Annotated[str, AfterValidator(lambda text: _no_controls(text, "\n\r\t"))]


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
    return [_no_controls(t) for t in tags]


PRESET_NAME = USER_NAME.pattern  # the shape of user names and organization ids
PRESETS_MAX = 10  # named at one upload


def clean_preset_names(value: object) -> list[str]:
    """Comma-separated text or a list of preset names; trimmed, repeats removed."""
    items = value.split(",") if isinstance(value, str) else value or []
    if not isinstance(items, list | tuple):
        raise ValueError("presets must be a list of names or comma-separated text")
    names = list(dict.fromkeys(str(n).strip() for n in items if str(n).strip()))
    if len(names) > PRESETS_MAX:
        raise ValueError(f"at most {PRESETS_MAX} presets")
    if any(not re.fullmatch(PRESET_NAME, n) for n in names):
        raise ValueError("a preset's name is a-z, 0-9, _ and -, at most 64 characters")
    return names


class UploadFields(BaseModel):
    """The text fields of an upload form (for a batch: applied to every file)."""

    model_config = ConfigDict(extra="forbid")
    title: Line | None = Field(None, max_length=TITLE_MAX)
    description: Paragraph | None = Field(None, max_length=DESCRIPTION_MAX)
    tags: list[str] = Field(default_factory=list)
    visibility: Visibility = "public"
    gps: bool = Field(False, description="true keeps the photo's location, readable by the owner and "
                                         "those who may edit the image (in /metadata and search's `near`); "
                                         "never shown to anyone else, never in variants")
    presets: list[str] = Field(default_factory=list, description="comma-separated names of your presets "
                                                                 "(/v1/presets), rendered with the variants")

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> list[str]:
        return clean_tags(value)

    @field_validator("presets", mode="before")
    @classmethod
    def _presets(cls, value: object) -> list[str]:
        return clean_preset_names(value)


class ImagePatch(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    title: Line | None = Field(None, max_length=TITLE_MAX)
    description: Paragraph | None = Field(None, max_length=DESCRIPTION_MAX)
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


# The answer of routes taking an `album` parameter when it names no album the caller may see.
NO_ALBUM = {404: {"model": ErrorBody, "description": "`not_found`: no such album, or not one you may see."}}


class VariantOut(BaseModel):
    width: int
    height: int
    format: str
    url: str = Field(description="Through the nginx cache; signed and short-lived for private images.")
    on_demand: bool = Field(False, description="Rendered on its first request (the larger rungs), then "
                                               "stored and cached like the others.")


class PresetOutputOut(BaseModel):
    name: str = Field(description="A preset named at upload.")
    url: str | None = Field(None, description="Its output: a signed transform URL.")
    width: int | None = None
    height: int | None = None
    format: str | None = None
    problem: str | None = Field(None, description="Why it could not apply (the image is fine all the same).")


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
    presets: list[PresetOutputOut] = Field(default_factory=list,
                                           description="The presets named at upload, once rendered.")
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


class ImageTagsOut(BaseModel):
    id: str
    tags: list[str] = Field(description="The owner's tags.")
    model: str | None = Field(description="The classifier that tagged the image; null until it has.")
    model_tags: list[ModelTag] = Field(description="What the classifier saw, kept apart from the owner's.")


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
    name: Line = Field(min_length=1, max_length=100)
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
# User names, organization ids and preset names share one shape.
ID_PATTERN = USER_NAME.pattern
UserName = Annotated[str, Field(pattern=ID_PATTERN, description="a-z, 0-9, _ and -, at most 64 characters")]


class OrgIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN, description="Chosen by the creator; a-z, 0-9, _ and -.")
    name: Line = Field(min_length=1, max_length=200)


class OrgOut(BaseModel):
    id: str
    name: str
    members: dict[str, str] = Field(description="User name -> role.")
    usage: Usage


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: UserName
    role: OrgRole


class AlbumIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line = Field(min_length=1, max_length=200)
    org: str | None = Field(None, description="Make it the organization's album (owners and admins).")


class AlbumRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line = Field(min_length=1, max_length=200)


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
    username: UserName
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


# -- transforms and presets --------------------------------------------------

class TransformParams(BaseModel):
    """A transform, by the names GET /v1/images/{id}/transform takes (schemas/transforms.py
    has the URL's short names, limits and defaults; values outside them answer 400)."""

    model_config = ConfigDict(extra="forbid")
    w: int | None = Field(None, description="Box width, px.")
    h: int | None = Field(None, description="Box height, px.")
    fit: str | None = Field(None, description="fit (default): inside the box, aspect kept; fill: cover the "
                                              "box and cut the rest at `gravity`; crop: cut the box at the "
                                              "original's scale. Never enlarged.")
    gravity: str | None = Field(None, description="What fill and crop keep: c (centre, default), n, ne, e, "
                                                  "se, s, sw, w, nw, or smart (the most interesting part).")
    rotate: int | None = Field(None, description="0, 90, 180 or 270, clockwise, after EXIF orientation.")
    flip: str | None = Field(None, description="h, v or hv.")
    blur: float | None = Field(None, description="Gaussian sigma, 0.3-50.")
    sharpen: float | None = Field(None, description="Sigma, 0.3-10.")
    brightness: int | None = Field(None, description="-100 to 100.")
    contrast: int | None = Field(None, description="-100 to 100.")
    watermark: str | None = Field(None, description="text:<words> or image:<id of an image you may see>.")
    watermark_position: str | None = Field(None, description="A compass point, default se.")
    watermark_opacity: int | None = Field(None, description="%, default 50.")
    watermark_size: int | None = Field(None, description="Width, % of the output's, default 25.")
    animated: bool | None = Field(None, description="Keep every frame (webp, gif).")
    format: str | None = Field(None, description="jpeg (default), webp, avif, png or gif.")
    quality: int | None = Field(None, description="1-100 (JPEG, WebP, AVIF); the format's default otherwise "
                                                  "(85, 80, 60).")


class TransformOut(BaseModel):
    url: str = Field(description="The signed transform URL (/t/<token>/<options>/<placement>/<image id>).")
    options: str = Field(description="The options, as the URL carries them.")
    expires_at: datetime | None = Field(None, description="When the URL stops working; null: never.")


class PresetOut(BaseModel):
    name: str
    options: str = Field(description="The transform options, as a URL carries them.")
    params: dict[str, object] = Field(description="The same, by the names of TransformParams.")
    created_at: datetime
    updated_at: datetime


class PresetList(BaseModel):
    items: list[PresetOut]

