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
    gps: bool = Field(False, description="true keeps the location in the variants' metadata")

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
