"""Every Kafka topic Darkroom owns, declared once.

Producers, consumers, the bootstrap and the reference docs all read this list;
no topic name is spelled anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    key: str  # what the record key holds
    description: str
    partitions: int = 0  # 0: the cluster-wide default from KafkaSettings.partitions
    retention_ms: int = 7 * DAY_MS
    cleanup_policy: str = "delete"


IMAGE_UPLOADED = Topic("darkroom.image.uploaded", "image id", "An original was stored and recorded.")
IMAGE_VARIANTS_READY = Topic(
    "darkroom.image.variants.ready", "image id", "The resize stage stored every variant."
)
IMAGE_UPDATED = Topic("darkroom.image.updated", "image id", "Title, description, tags or visibility changed.")
IMAGE_DELETED = Topic(
    "darkroom.image.deleted", "image id", "The image and everything derived from it is gone."
)
IMAGE_FAILED = Topic("darkroom.image.failed", "image id", "A stage gave up on the image, with a reason.")
IMAGE_METADATA_EXTRACTED = Topic(
    "darkroom.image.metadata.extracted", "image id", "The metadata stage read EXIF, IPTC and ICC facts."
)
IMAGE_TAGS_DETECTED = Topic(
    "darkroom.image.tags.detected", "image id", "The tagging stage classified a variant of the image."
)
IMAGE_READY = Topic(
    "darkroom.image.ready", "image id",
    "Every stage is done (variants, metadata, tags) and the image is searchable.",
)

def dead_letter(stage: str) -> Topic:
    """Where a stage puts what it cannot process; kept longer, for people to look at."""
    return Topic(f"darkroom.dlq.{stage}", "image id", f"Records the {stage} stage could not process.",
                 partitions=1, retention_ms=30 * DAY_MS)


DLQ_RESIZE = dead_letter("resize")
DLQ_METADATA = dead_letter("metadata")
DLQ_TAGGING = dead_letter("tagging")
DLQ_INDEXING = dead_letter("indexing")

ALL: tuple[Topic, ...] = (
    IMAGE_UPLOADED,
    IMAGE_VARIANTS_READY,
    IMAGE_UPDATED,
    IMAGE_DELETED,
    IMAGE_FAILED,
    IMAGE_METADATA_EXTRACTED,
    IMAGE_TAGS_DETECTED,
    IMAGE_READY,
    DLQ_RESIZE,
    DLQ_METADATA,
    DLQ_TAGGING,
    DLQ_INDEXING,
)
