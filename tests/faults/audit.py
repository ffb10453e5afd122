"""After a scenario: did every accepted image end where it should, once,
with nothing left over? Read from the engines themselves, for one owner
(each scenario uploads as its own user, so its rows, documents and objects
are its own).

- lost: accepted but neither `ready` nor `failed` (or failed without a
  reason, or a good photo failed, or a poison one ready);
- duplicates: a second image for one uploaded file (Cassandra), a second
  document (Elasticsearch), a second object for one original or one
  rendition (MinIO), or a second event id for one fact on a topic;
- repeats: the same event id read again (an at-least-once redelivery that
  consumers drop by its id; counted, not a failure);
- orphans: objects without rows (originals, variants, staging objects left
  by an upload), rows without objects, claims without records, documents
  without records;
- dead letters: exactly the poison uploads, each once.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.cassandra import Cassandra
from connectors.elasticsearch import SearchIndex
from connectors.minio import ObjectStore
from connectors.records import FAILED, READY, ImageRecord, ImageRepository
from connectors.settings import CassandraSettings, ElasticsearchSettings, MinioSettings
from schemas import topics
from schemas.topics import DEAD_LETTER_PREFIX
from tests.faults.traffic import Observer, Sent

# One event per image on each of these (ids derived from the image's first event).
ONE_PER_IMAGE = (topics.IMAGE_UPLOADED, topics.IMAGE_VARIANTS_READY, topics.IMAGE_METADATA_EXTRACTED,
                 topics.IMAGE_TAGS_DETECTED, topics.IMAGE_READY, topics.IMAGE_FAILED)


@dataclass
class Row:
    fault: str
    files: int = 0
    accepted: int = 0
    ready: int = 0
    failed: int = 0
    refused: int = 0
    lost: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)
    repeats: int = 0
    repeated: dict[str, int] = field(default_factory=dict)  # repeats by topic
    orphans: dict[str, int] = field(default_factory=dict)
    dead_letters: str = ""
    recover_s: float | None = None
    seconds: float = 0.0
    proof: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Engines:
    """The host's clients of the engines; made again after an engine moved."""

    def __init__(self) -> None:
        self.db = Cassandra(CassandraSettings())
        self.images = ImageRepository(self.db)
        self.store = ObjectStore(MinioSettings())
        self.index = SearchIndex(ElasticsearchSettings())

    def close(self) -> None:
        self.db.close()
        self.index.close()


def statuses(images: ImageRepository, ids: set[str]) -> dict[str, ImageRecord | None]:
    return {i: images.get(i) for i in ids}


def settle(images: ImageRepository, ids: set[str], timeout_s: float) -> dict[str, ImageRecord | None]:
    """Wait until no image of `ids` is still processing (or time is up)."""
    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    records: dict[str, ImageRecord | None] = {}
    while True:
        for image_id, record in statuses(images, pending).items():
            records[image_id] = record
        pending = {i for i, r in records.items() if r is not None and r.status not in (READY, FAILED)}
        if not pending or time.monotonic() > deadline:
            return records
        time.sleep(2)


def _owner_records(images: ImageRepository, owner: str) -> list[ImageRecord]:
    found, cursor = [], None
    while True:
        page, cursor = images.list_by_owner(owner, cursor, 200)
        found += page
        if cursor is None:
            return found


def _staging_left(engines: Engines, started: datetime, wait_s: float) -> list[str]:
    """Staging objects made since `started` that are still there after
    `wait_s` (an upload whose process died leaves one; the API's sweeper
    removes it once it is DARKROOM_API_STAGING_MAX_AGE_S old)."""
    deadline = time.monotonic() + wait_s
    while True:
        left = [k for k in engines.store.originals.keys("staging/")
                if (info := engines.store.originals.stat(k)) and info.last_modified
                and info.last_modified >= started]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(2)


def audit(fault: str, owner: str, sent: list[Sent], observer: Observer, engines: Engines,
          started: datetime, settle_s: float = 600, staging_wait_s: float = 90) -> Row:
    row = Row(fault, files=len(sent))
    answered = [s for s in sent if s.image_id]
    ids = {s.image_id for s in answered if s.image_id}
    poison_ids = {s.image_id for s in answered if s.photo.poison}
    row.accepted, row.refused = len(ids), sum(1 for s in sent if not s.image_id)
    if row.refused:
        row.problems.append(f"{row.refused} files refused: "
                            f"{Counter((s.status, s.code) for s in sent if not s.image_id).most_common(3)}")

    records = settle(engines.images, ids, settle_s)
    for image_id, record in records.items():
        if record is None:
            row.lost += 1
            row.problems.append(f"{image_id}: accepted, no record")
        elif record.status == READY and image_id not in poison_ids:
            row.ready += 1
        elif record.status == FAILED and image_id in poison_ids and record.failure_code and record.reason:
            row.failed += 1
        else:
            row.lost += 1
            row.problems.append(f"{image_id}: {record.status} {record.failure_code} {record.reason} "
                                f"(poison: {image_id in poison_ids})")

    owned = _owner_records(engines.images, owner)
    by_sha = Counter(r.sha256 for r in owned)
    extra_rows = {r.id for r in owned} - ids
    dup: dict[str, int] = {"cassandra": len(extra_rows) + sum(n - 1 for n in by_sha.values())}

    docs = engines.index.search({"query": {"term": {"owner": owner}}, "size": 10_000,
                                 "_source": ["id"]})["hits"]["hits"]
    doc_ids = Counter(d["_id"] for d in docs)
    dup["elasticsearch"] = sum(n - 1 for n in doc_ids.values()) + len(set(doc_ids) - ids - extra_rows)

    originals = engines.store.originals.keys(f"originals/{owner}/")
    wanted_originals = {r.original_key for r in owned}
    variant_keys: set[str] = set()
    renditions: Counter = Counter()
    for image_id in ids | extra_rows:
        for prefix in ("public/", "private/"):
            for key in engines.store.variants.keys(f"{prefix}v/{image_id}/"):
                variant_keys.add(key)
                size, _, rest = key.rpartition("/")[2].partition("-")
                renditions[(image_id, size, rest.rpartition(".")[2])] += 1
    listed = {v.key for r in owned for v in r.variants}
    dup["minio"] = sum(n - 1 for n in renditions.values())

    repeats, facts = 0, 0
    for topic in ONE_PER_IMAGE:
        seen = observer.of(topic.name, ids)
        per_id = Counter(r.event_id for r in seen)
        repeats += sum(n - 1 for n in per_id.values())
        if sum(n - 1 for n in per_id.values()):
            row.repeated[topic.name.removeprefix("darkroom.")] = sum(n - 1 for n in per_id.values())
        by_image: dict[str, set] = {}
        for r in seen:
            by_image.setdefault(r.key, set()).add(r.event_id)
        facts += sum(len(e) - 1 for e in by_image.values())
    dup["topics"] = facts
    row.duplicates, row.repeats = dup, repeats
    for where, count in dup.items():
        if count:
            row.problems.append(f"{count} duplicates in {where}")

    staged_since = _staging_left(engines, started, staging_wait_s)
    claims_without_record = 0
    for s in answered:
        row_ = engines.db.execute("SELECT image_id FROM images_by_hash WHERE owner = ? AND sha256 = ?",
                                  (owner, s.photo.sha256)).one()
        if row_ is not None and engines.images.get(row_.image_id) is None:
            claims_without_record += 1
    orphans = {
        "originals": len(set(originals) - wanted_originals),
        "variants": len(variant_keys - listed),
        "staging": len(staged_since),
        "rows without original": sum(engines.store.originals.stat(r.original_key) is None for r in owned),
        "rows without variants": sum(1 for r in owned for v in r.variants
                                     if not v.on_demand and v.key not in variant_keys),  # on demand: not yet
        "claims without record": claims_without_record,
        "documents without record": len(set(doc_ids) - {r.id for r in owned}),
    }
    row.orphans = orphans
    for what, count in orphans.items():
        if count:
            row.problems.append(f"{count} orphans: {what}")

    letters = [r for t in topics.declared() if t.name.startswith(DEAD_LETTER_PREFIX)
               for r in observer.of(t.name, ids)]
    lettered = Counter(r.key for r in letters)
    places = Counter((r.value.get("source_topic"), r.value.get("partition"), r.value.get("offset"))
                     for r in letters)
    row.repeats += sum(n - 1 for n in places.values())
    unexpected, missing = set(lettered) - poison_ids, poison_ids - set(lettered)
    row.dead_letters = f"{len(set(lettered))}/{len(poison_ids)}"
    if unexpected or missing:
        row.problems.append(f"dead letters: {len(unexpected)} unexpected, {len(missing)} poison missing")
    return row


def now() -> datetime:
    return datetime.now(UTC)
