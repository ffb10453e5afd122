"""The events Darkroom publishes: the contract downstream teams consume.

Each event type is declared once, with its topic, version and an example
(for the reference docs), and used by producers and consumers alike;
declaring a subclass of Event registers it (`Event.declared()`). Events carry ids, keys and facts, never
pixels. Consumers ignore fields they do not know, so adding an optional field
is safe; removing, renaming or retyping one is a breaking change, which
tests/schemas/test_compatibility.py refuses against the snapshots in
schemas/snapshots/ (raise `schema_version` and publish both to make one).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

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
    # Facts of an example for schemas/TOPICS.md (the common fields are filled in there).
    EXAMPLE: ClassVar[dict[str, Any]]
    _declared: ClassVar[list[type[Event]]] = []

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex,
                          description="Unique per event; a redelivery repeats it.")
    occurred_at: datetime = Field(default_factory=_now)
    image_id: str
    # A subclass that makes a breaking change overrides this default.
    schema_version: int = Field(default=1, description="Version of this event's schema.")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        missing = [name for name in ("TOPIC", "EXAMPLE") if name not in cls.__dict__]
        if missing:
            raise TypeError(f"event {cls.__name__} must declare {' and '.join(missing)}")
        Event._declared.append(cls)

    @classmethod
    def declared(cls) -> tuple[type[Event], ...]:
        """Every event type, in declaration order."""
        return tuple(Event._declared)

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
    EXAMPLE = dict(owner="user-1", sha256="9f86d0" + "0" * 58, original_key="user-1/9f86d0…",
                   mime_type="image/jpeg", byte_size=2_481_152, width=4000, height=3000)
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
    org: str | None = Field(default=None, description="The organization the image belongs to, if any.")
    presets: list[str] = Field(default_factory=list,
                               description="The owner's presets named at upload, rendered with the variants.")


class Variant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    width: int
    height: int
    format: str = Field(description="jpeg, webp or avif (a preset's: also png or gif)")
    key: str = Field(description="Object key in the variants bucket: content-addressed, or a transform's "
                                 "(…/t/<options>) for a rung rendered on demand and a preset's output.")
    byte_size: int = Field(description="0 for a rung not rendered yet (on demand).")
    on_demand: bool = Field(default=False, description="Rendered on its first request, not at upload.")
    preset: str | None = Field(default=None, description="The preset it is the output of, if any.")


class VariantsReady(Event):
    TOPIC = topics.IMAGE_VARIANTS_READY
    EXAMPLE = dict(variants=[dict(width=320, height=240, format="webp",
                                  key="public/v/3a/240x180-3a7bd3….webp", byte_size=14_210),
                             dict(width=2048, height=1536, format="webp",
                                  key="public/v/3a/t/w:2048,h:2048,f:webp", byte_size=0, on_demand=True)],
                   placeholder="1QcSHQRnh493V4dIh4eXh1h4kJUI", dominant_color="#6b8fa3",
                   preset_variants=[dict(width=400, height=400, format="jpeg", preset="square-400",
                                         key="public/v/3a/t/w:400,h:400,fit:fill,f:jpeg", byte_size=21_870)],
                   preset_problems={"banner-2000": "2000x600 (fill) needs a larger image than 1600x1200"})
    variants: list[Variant] = Field(description="Every rung of the ladder: the small ones rendered at "
                                                "upload, the larger ones `on_demand`.")
    placeholder: str = Field(description="ThumbHash of the image, base64.")
    dominant_color: str = Field(description="#rrggbb")
    preset_variants: list[Variant] = Field(default_factory=list,
                                           description="The outputs of the presets named at upload.")
    preset_problems: dict[str, str] = Field(default_factory=dict,
                                            description="Presets named at upload that could not apply, "
                                                        "with why (the image is processed all the same).")


class ImageUpdated(Event):
    """The owner-controlled facts as they now stand (not a diff)."""

    TOPIC = topics.IMAGE_UPDATED
    EXAMPLE = dict(owner="user-1", title="Harbour at dawn", tags=["sea", "boat"], shared_with=["user-2"],
                   albums=["01J9Z3M2…"])
    owner: str
    title: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    visibility: Visibility = "public"
    org: str | None = Field(default=None, description="The organization the image belongs to, if any.")
    shared_with: list[str] = Field(default_factory=list,
                                   description="Users the owner made collaborators (view or edit).")
    albums: list[str] = Field(default_factory=list, description="Ids of the albums the image is in.")


class ImageDeleted(Event):
    """Hidden everywhere from now on; restorable until purged (ImageRestored, ImagePurged)."""

    TOPIC = topics.IMAGE_DELETED
    EXAMPLE = dict(owner="user-1")
    owner: str


class ImageRestored(Event):
    """A deleted image is back, as it was."""

    TOPIC = topics.IMAGE_RESTORED
    EXAMPLE = dict(owner="user-1")
    owner: str


class ImagePurged(Event):
    """The image and everything made from it is gone for good."""

    TOPIC = topics.IMAGE_PURGED
    EXAMPLE = dict(owner="user-1", reason="retention")
    owner: str
    reason: Literal["requested", "retention"] = Field(
        description="Asked for, or the retention window passed.")


class QuotaWarning(Event):
    """An upload took an account's storage past a warning threshold. The key is
    the image whose upload did it."""

    TOPIC = topics.ACCOUNT_QUOTA
    EXAMPLE = dict(account="user:user-1", used_bytes=8_600_000_000, quota_bytes=10_737_418_240,
                   threshold=0.8)
    account: str = Field(description="user:<name> or org:<id>.")
    used_bytes: int
    quota_bytes: int
    threshold: float = Field(description="The threshold crossed: 0.8 or 0.95.")


class ImageFailed(Event):
    TOPIC = topics.IMAGE_FAILED
    EXAMPLE = dict(stage="resize", code="truncated", reason="the JPEG data ends early")
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
    EXAMPLE = dict(
        metadata=dict(camera_make="FUJIFILM", camera_model="X-T5", exposure_time_s=0.004, f_number=5.6,
                      iso=200, taken_at="2026-05-01T06:12:09+02:00", orientation=1, width=4000, height=3000,
                      mime_type="image/jpeg", byte_size=2_481_152),
        skipped=[dict(field="taken_at", reason="invalid date 0000:00:00")])
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
    EXAMPLE = dict(model="efficientnet-lite0", tags=[dict(tag="boat", confidence=0.71)],
                   labels=[dict(tag="fireboat", confidence=0.71)])
    model: str = Field(description="Classifier name and version, e.g. efficientnet-lite0.")
    tags: list[DetectedTag]
    labels: list[DetectedTag] = Field(default_factory=list,
                                      description="The classifier's own labels above the threshold.")


class ImageReady(Event):
    TOPIC = topics.IMAGE_READY
    EXAMPLE = dict(owner="user-1")
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
    exception: str | None = Field(default=None, description="The error behind an unexpected failure.")
    attempts: int = Field(default=1, description="How many times the stage tried before giving up.")
    payload: str = Field(description="The original record's value, as UTF-8 (replacement on bad bytes).")
    occurred_at: datetime = Field(default_factory=_now)
    schema_version: int = 1
