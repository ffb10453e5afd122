"""The image repository (connectors.records) against the real Cassandra:
what the API and the stages rely on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from ingest_api import ids

from connectors.cassandra import Cassandra
from connectors.records import ImageRecord, ImageRepository
from connectors.settings import CassandraSettings
from schemas.events import Variant

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def images():
    db = Cassandra(CassandraSettings())
    yield ImageRepository(db)
    db.close()


def _record(owner: str, **overrides) -> ImageRecord:
    values = dict(id=ids.new_id(), owner=owner, sha256=uuid.uuid4().hex * 2,
                  original_key=f"originals/{owner}/x", mime_type="image/png", byte_size=123,
                  width=40, height=30, tags=["a", "b"], title="t", placement="public/")
    return ImageRecord(**{**values, **overrides})


VARIANTS = [Variant(width=150, height=113, format="jpeg", key="public/v/1.jpg", byte_size=10),
            Variant(width=320, height=240, format="webp", key="public/v/2.webp", byte_size=20)]


def test_create_then_get_round_trips(images):
    record = _record(f"u-{uuid.uuid4().hex[:8]}", variants=VARIANTS, frames=3, keep_gps=True)
    images.create(record)
    got = images.get(record.id)
    # Cassandra keeps milliseconds.
    assert abs((got.created_at - record.created_at).total_seconds()) < 0.002
    got.created_at, got.updated_at = record.created_at, record.updated_at
    assert got == record
    assert images.get(ids.new_id()) is None


def test_claims_go_to_the_first_and_only_the_holder_releases(images):
    owner, sha = "claims", uuid.uuid4().hex
    assert images.claim_hash(owner, sha, "first") is None
    assert images.claim_hash(owner, sha, "second") == "first"
    images.release_hash(owner, sha, "second")  # not the holder: no effect
    assert images.claim_hash(owner, sha, "third") == "first"
    assert images.take_over_hash(owner, sha, "someone-else", "third") is False
    assert images.take_over_hash(owner, sha, "first", "third") is True
    images.release_hash(owner, sha, "third")
    assert images.claim_hash(owner, sha, "fourth") is None


def test_set_variants_is_idempotent_keeps_the_status_and_never_resurrects(images):
    record = _record("variants")
    images.create(record)
    for _ in range(2):
        assert images.set_variants(record.id, VARIANTS, "PLACEHOLDER", "#112233", "public/") is True
        got = images.get(record.id)
        assert (got.status, got.variants, got.placeholder, got.dominant_color) == (
            "processing", VARIANTS, "PLACEHOLDER", "#112233")
    missing = ids.new_id()
    assert images.set_variants(missing, VARIANTS, "P", "#000000", "public/") is False
    assert images.set_failed(missing, "x", "y") is False
    assert images.mark_ready(missing) is False
    assert images.get(missing) is None


def test_mark_ready_moves_only_a_processing_image(images):
    record, failed = _record("ready"), _record("failed")
    images.create(record)
    images.create(failed)
    assert images.mark_ready(record.id) is True
    assert images.get(record.id).status == "ready"
    assert images.mark_ready(record.id) is False  # already ready: nothing to announce twice
    images.set_failed(failed.id, "truncated", "the data ends early")
    assert images.mark_ready(failed.id) is False
    assert images.get(failed.id).status == "failed"


def test_set_failed_keeps_code_and_reason(images):
    record = _record("failed")
    images.create(record)
    assert images.set_failed(record.id, "truncated", "the data ends early") is True
    got = images.get(record.id)
    assert (got.status, got.failure_code, got.reason) == ("failed", "truncated", "the data ends early")


def test_listing_pages_filters_and_follows_edits(images):
    owner = f"u-{uuid.uuid4().hex[:8]}"
    made = [_record(owner, visibility=v) for v in ("public", "private", "public", "unlisted", "public")]
    for record in made:
        images.create(record)
    newest_first = [r.id for r in reversed(made)]

    page, cursor = images.list_by_owner(owner, None, 2)
    assert [r.id for r in page] == newest_first[:2] and cursor == newest_first[1]
    page, cursor = images.list_by_owner(owner, cursor, 10)
    assert [r.id for r in page] == newest_first[2:] and cursor is None

    public = frozenset({"public"})
    page, _ = images.list_by_owner(owner, None, 10, public)
    assert [r.id for r in page] == [made[4].id, made[2].id, made[0].id]

    assert images.update_fields(made[1].id, visibility="public", tags=["new"]) is True
    page, _ = images.list_by_owner(owner, None, 10, public)
    assert made[1].id in {r.id for r in page}
    assert images.get(made[1].id).tags == ["new"]
    assert images.update_fields(ids.new_id(), title="nobody") is False


def test_delete_removes_record_listing_and_claim(images):
    record = _record(f"u-{uuid.uuid4().hex[:8]}")
    images.create(record)
    assert images.claim_hash(record.owner, record.sha256, record.id) is None
    assert images.delete(record.id).id == record.id
    assert images.get(record.id) is None
    assert images.list_by_owner(record.owner, None, 10) == ([], None)
    assert images.claim_hash(record.owner, record.sha256, "again") is None
    assert images.delete(record.id) is None


def test_variants_are_recorded_only_under_the_placement_the_record_still_has(images):
    record = _record("placed")
    images.create(record)
    assert images.update_fields(record.id, visibility="private", placement="private/") is True
    # Rendered while the image was public: the write must not land.
    assert images.set_variants(record.id, VARIANTS, "PH", "#000000", "public/") is False
    assert images.get(record.id).variants == []
    private = [v.model_copy(update={"key": v.key.replace("public/", "private/")}) for v in VARIANTS]
    assert images.set_variants(record.id, private, "PH", "#000000", "private/") is True
    # Moving keys is conditional on both the placement and the variants as read.
    assert images.move_variants(record.id, VARIANTS, private, "private/") is False
    assert images.move_variants(record.id, private, VARIANTS, "public/") is False
    assert images.move_variants(record.id, private, VARIANTS, "private/") is True
    assert images.get(record.id).variants == VARIANTS


def test_a_soft_delete_hides_the_listing_row_until_restored(images):
    record = _record(f"u-{uuid.uuid4().hex[:8]}")
    images.create(record)
    later = datetime.now(UTC) + timedelta(days=30)
    assert images.soft_delete(record, "trash/", later) is True
    assert images.soft_delete(record, "trash/", later) is False  # once
    deleted = images.get(record.id)
    assert (deleted.deleted, deleted.placement) == (True, "trash/")
    assert abs((deleted.purge_after - later).total_seconds()) < 0.002
    assert images.list_by_owner(record.owner, None, 10) == ([], None)
    assert images.restore(deleted, "public/") is True
    assert images.restore(deleted, "public/") is False  # not deleted any more
    back = images.get(record.id)
    assert (back.deleted, back.placement, back.purge_after) == (False, "public/", None)
    assert [r.id for r in images.list_by_owner(record.owner, None, 10)[0]] == [record.id]


def test_pending_changes_are_kept_until_done(images):
    image_id = ids.new_id()
    first = images.add_pending(image_id, "updated")
    second = images.add_pending(image_id, "deleted")
    assert [c.kind for c in images.pending_of(image_id)] == ["updated", "deleted"]  # in the order made
    assert {c.image_id for c in images.pending(first.shard)} >= {image_id}
    images.done_pending(first)
    assert images.pending_of(image_id) == [second]
    images.done_pending(second)
    assert images.pending_of(image_id) == []
