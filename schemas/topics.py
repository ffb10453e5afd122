"""Every Kafka topic Darkroom owns, declared once.

A topic exists for Darkroom when it is declared here: the events' topics
below, and one dead-letter topic per stage, declared by `dead_letter` when
the stage is (streams/runner.py). The bootstrap, the reference docs and the
tests read `declared()`; no topic name is spelled anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
DEAD_LETTER_PREFIX = "darkroom.dlq."


@dataclass(frozen=True)
class Topic:
    name: str
    key: str  # what the record key holds
    description: str
    partitions: int = 0  # 0: the cluster-wide default from KafkaSettings.partitions
    retention_ms: int = 7 * DAY_MS
    cleanup_policy: str = "delete"


_DECLARED: dict[str, Topic] = {}


def declare(topic: Topic) -> Topic:
    """Add `topic` to the declared ones; declaring the same one again is a
    no-op, a different topic under a taken name an error."""
    known = _DECLARED.setdefault(topic.name, topic)
    if known != topic:
        raise ValueError(f"topic {topic.name} is already declared differently")
    return known


def declared() -> tuple[Topic, ...]:
    """Every topic declared so far, in declaration order."""
    return tuple(_DECLARED.values())


def forget(name: str) -> None:
    """Undo a declaration (for tests that declare a stage of their own)."""
    _DECLARED.pop(name, None)


def dead_letter_topic(stage: str) -> Topic:
    """Where a stage puts what it cannot process; kept longer, for people to
    look at. One partition: dead letters are few and read in order."""
    return Topic(f"{DEAD_LETTER_PREFIX}{stage}", "image id", f"Records the {stage} stage could not process.",
                 partitions=1, retention_ms=30 * DAY_MS)


def dead_letter(stage: str) -> Topic:
    """The stage's dead-letter topic, declared."""
    return declare(dead_letter_topic(stage))


IMAGE_UPLOADED = declare(Topic("darkroom.image.uploaded", "image id", "An original was stored and recorded."))
IMAGE_VARIANTS_READY = declare(Topic(
    "darkroom.image.variants.ready", "image id", "The resize stage stored every variant."))
IMAGE_UPDATED = declare(Topic(
    "darkroom.image.updated", "image id",
    "What the owner controls changed: title, description, tags, visibility, sharing or albums."))
IMAGE_DELETED = declare(Topic(
    "darkroom.image.deleted", "image id",
    "The image was deleted: hidden everywhere, restorable until purged."))
IMAGE_RESTORED = declare(Topic(
    "darkroom.image.restored", "image id", "A deleted image was restored, as it was."))
IMAGE_PURGED = declare(Topic(
    "darkroom.image.purged", "image id", "The image and everything derived from it is gone for good."))
IMAGE_FAILED = declare(Topic(
    "darkroom.image.failed", "image id", "A stage gave up on the image, with a reason."))
IMAGE_METADATA_EXTRACTED = declare(Topic(
    "darkroom.image.metadata.extracted", "image id", "The metadata stage read EXIF, IPTC and ICC facts."))
IMAGE_TAGS_DETECTED = declare(Topic(
    "darkroom.image.tags.detected", "image id", "The tagging stage classified a variant of the image."))
IMAGE_READY = declare(Topic(
    "darkroom.image.ready", "image id",
    "Every stage is done (variants, metadata, tags) and the image is searchable."))
ACCOUNT_QUOTA = declare(Topic(
    "darkroom.account.quota", "image id (the upload that crossed the threshold)",
    "An account's storage passed 80 % or 95 % of its quota."))
