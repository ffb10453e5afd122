"""The events Darkroom publishes: the contract downstream teams consume.

Each event type is declared once, with its topic and version, and used by
producers and consumers alike. Events carry ids, keys and facts, never
pixels. Consumers ignore fields they do not know, so adding an optional field
is safe; removing, renaming or retyping one is a breaking change, which
tests/schemas/test_compatibility.py refuses against the snapshots in
schemas/snapshots/ (raise `schema_version` and publish both to make one).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas import topics
from schemas.topics import Topic

Visibility = Literal["public", "unlisted", "private"]


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Fields every event has. The Kafka key is always `image_id`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    TOPIC: ClassVar[Topic]

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex,
                          description="Unique per event; a redelivery repeats it.")
    occurred_at: datetime = Field(default_factory=_now)
    image_id: str
    # A subclass that makes a breaking change overrides this default.
    schema_version: int = Field(default=1, description="Version of this event's schema.")

    @classmethod
    def version(cls) -> int:
        return cls.model_fields["schema_version"].default

    def key(self) -> bytes:
        return self.image_id.encode()

    def value(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def parse(cls, value: bytes | str) -> Event:
        return cls.model_validate_json(value)


class ImageUploaded(Event):
    TOPIC = topics.IMAGE_UPLOADED
    owner: str
    sha256: str = Field(description="SHA-256 of the original's bytes, hex.")
    original_key: str = Field(description="Object key of the original in the originals bucket.")
    mime_type: str
    byte_size: int
    width: int
    height: int
    frames: int = 1
    visibility: Visibility = "public"
    keep_gps: bool = False


class Variant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    width: int
    height: int
    format: str = Field(description="jpeg, webp or avif")
    key: str = Field(description="Content-addressed object key in the variants bucket.")
    byte_size: int


class VariantsReady(Event):
    TOPIC = topics.IMAGE_VARIANTS_READY
    variants: list[Variant]
    placeholder: str = Field(description="ThumbHash of the image, base64.")
    dominant_color: str = Field(description="#rrggbb")


class ImageUpdated(Event):
    TOPIC = topics.IMAGE_UPDATED
    owner: str
    title: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    visibility: Visibility = "public"


class ImageDeleted(Event):
    TOPIC = topics.IMAGE_DELETED
    owner: str


class ImageFailed(Event):
    TOPIC = topics.IMAGE_FAILED
    stage: str
    code: str = Field(description="Stable machine-readable reason, e.g. not_an_image.")
    reason: str = Field(description="What went wrong, for people.")


class Gps(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    latitude: float = Field(description="Decimal degrees, north positive.")
    longitude: float = Field(description="Decimal degrees, east positive.")
    altitude_m: float | None = Field(default=None, description="Metres above sea level.")


class SkippedField(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    field: str
    reason: str


class ImageMetadata(BaseModel):
    """What the metadata stage read; every field is optional (absent in the file or unreadable)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    exposure_time_s: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length_mm: float | None = None
    taken_at: str | None = Field(default=None, description="ISO 8601 local time, with offset when known.")
    orientation: int | None = Field(default=None, description="EXIF orientation, 1-8.")
    software: str | None = None
    caption: str | None = None
    keywords: list[str] = Field(default_factory=list)
    copyright: str | None = None
    creator: str | None = None
    icc_profile: str | None = Field(default=None, description="The ICC profile's description.")
    width: int | None = Field(default=None, description="Pixels, after orientation.")
    height: int | None = Field(default=None, description="Pixels, after orientation.")
    mime_type: str | None = None
    byte_size: int | None = None
    frames: int = 1
    gps: Gps | None = Field(default=None, description="Only when the uploader opted in.")


class MetadataExtracted(Event):
    TOPIC = topics.IMAGE_METADATA_EXTRACTED
    metadata: ImageMetadata
    skipped: list[SkippedField] = Field(default_factory=list,
                                        description="Fields present but unreadable, with why.")


class DetectedTag(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    tag: str = Field(description="A word of Darkroom's tag vocabulary, e.g. cat.")
    confidence: float = Field(description="0-1.")
    source: str = Field(default="model", description="Who said so: the model's name.")


class TagsDetected(Event):
    TOPIC = topics.IMAGE_TAGS_DETECTED
    model: str = Field(description="Classifier name and version, e.g. efficientnet-lite0.")
    tags: list[DetectedTag]
    labels: list[DetectedTag] = Field(default_factory=list,
                                      description="The classifier's own labels above the threshold.")


class ImageReady(Event):
    TOPIC = topics.IMAGE_READY
    owner: str


class DeadLetter(BaseModel):
    """What a stage could not process, with where it came from and why."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    stage: str
    source_topic: str
    partition: int
    offset: int
    key: str | None
    code: str
    reason: str
    payload: str = Field(description="The original record's value, as UTF-8 (replacement on bad bytes).")
    occurred_at: datetime = Field(default_factory=_now)
    schema_version: int = 1


EVENTS: tuple[type[Event], ...] = (ImageUploaded, VariantsReady, ImageUpdated, ImageDeleted, ImageFailed,
                                   MetadataExtracted, TagsDetected, ImageReady)
