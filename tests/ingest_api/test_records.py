"""connectors.records against the real Cassandra: what the API and the
resize worker rely on."""

from __future__ import annotations

import uuid

import pytest
from ingest_api import ids

from connectors import cassandra, records
from connectors.records import ImageRecord
from connectors.settings import CassandraSettings
from schemas.events import Variant

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db():
    settings = CassandraSettings()
    session = cassandra.connect(settings, settings.keyspace)
    yield session
    session.cluster.shutdown()


def _record(owner: str, **overrides) -> ImageRecord:
    values = dict(id=ids.new_id(), owner=owner, sha256=uuid.uuid4().hex * 2,
                  original_key=f"originals/{owner}/x", mime_type="image/png", byte_size=123,
                  width=40, height=30, tags=["a", "b"], title="t")
    return ImageRecord(**{**values, **overrides})


VARIANTS = [Variant(width=150, height=113, format="jpeg", key="public/v/1.jpg", byte_size=10),
            Variant(width=320, height=240, format="webp", key="public/v/2.webp", byte_size=20)]


def test_create_then_get_round_trips(db):
    record = _record(f"u-{uuid.uuid4().hex[:8]}", variants=VARIANTS, frames=3, keep_gps=True)
    records.create(db, record)
    got = records.get(db, record.id)
    # Cassandra keeps milliseconds.
    assert abs((got.created_at - record.created_at).total_seconds()) < 0.002
    got.created_at, got.updated_at = record.created_at, record.updated_at
    assert got == record
    assert records.get(db, ids.new_id()) is None


def test_claims_go_to_the_first_and_only_the_holder_releases(db):
    owner, sha = "claims", uuid.uuid4().hex
    assert records.claim_hash(db, owner, sha, "first") is None
    assert records.claim_hash(db, owner, sha, "second") == "first"
    records.release_hash(db, owner, sha, "second")  # not the holder: no effect
    assert records.claim_hash(db, owner, sha, "third") == "first"
    assert records.take_over_hash(db, owner, sha, "someone-else", "third") is False
    assert records.take_over_hash(db, owner, sha, "first", "third") is True
    records.release_hash(db, owner, sha, "third")
    assert records.claim_hash(db, owner, sha, "fourth") is None


def test_set_variants_is_idempotent_keeps_the_status_and_never_resurrects(db):
    record = _record("variants")
    records.create(db, record)
    for _ in range(2):
        assert records.set_variants(db, record.id, VARIANTS, "PLACEHOLDER", "#112233") is True
        got = records.get(db, record.id)
        assert (got.status, got.variants, got.placeholder, got.dominant_color) == (
            "processing", VARIANTS, "PLACEHOLDER", "#112233")
    missing = ids.new_id()
    assert records.set_variants(db, missing, VARIANTS, "P", "#000000") is False
    assert records.set_failed(db, missing, "x", "y") is False
    assert records.mark_ready(db, missing) is False
    assert records.get(db, missing) is None


def test_mark_ready_moves_only_a_processing_image(db):
    record, failed = _record("ready"), _record("failed")
    records.create(db, record)
    records.create(db, failed)
    assert records.mark_ready(db, record.id) is True
    assert records.get(db, record.id).status == "ready"
    assert records.mark_ready(db, record.id) is False  # already ready: nothing to announce twice
    records.set_failed(db, failed.id, "truncated", "the data ends early")
    assert records.mark_ready(db, failed.id) is False
    assert records.get(db, failed.id).status == "failed"


def test_set_failed_keeps_code_and_reason(db):
    record = _record("failed")
    records.create(db, record)
    assert records.set_failed(db, record.id, "truncated", "the data ends early") is True
    got = records.get(db, record.id)
    assert (got.status, got.failure_code, got.reason) == ("failed", "truncated", "the data ends early")


def test_listing_pages_filters_and_follows_edits(db):
    owner = f"u-{uuid.uuid4().hex[:8]}"
    made = [_record(owner, visibility=v) for v in ("public", "private", "public", "unlisted", "public")]
    for record in made:
        records.create(db, record)
    newest_first = [r.id for r in reversed(made)]

    page, cursor = records.list_by_owner(db, owner, None, 2)
    assert [r.id for r in page] == newest_first[:2] and cursor == newest_first[1]
    page, cursor = records.list_by_owner(db, owner, cursor, 10)
    assert [r.id for r in page] == newest_first[2:] and cursor is None

    public = frozenset({"public"})
    page, _ = records.list_by_owner(db, owner, None, 10, public)
    assert [r.id for r in page] == [made[4].id, made[2].id, made[0].id]

    assert records.update_fields(db, made[1].id, visibility="public", tags=["new"]) is True
    page, _ = records.list_by_owner(db, owner, None, 10, public)
    assert made[1].id in {r.id for r in page}
    assert records.get(db, made[1].id).tags == ["new"]
    assert records.update_fields(db, ids.new_id(), title="nobody") is False


def test_delete_removes_record_listing_and_claim(db):
    record = _record(f"u-{uuid.uuid4().hex[:8]}")
    records.create(db, record)
    assert records.claim_hash(db, record.owner, record.sha256, record.id) is None
    assert records.delete(db, record.id).id == record.id
    assert records.get(db, record.id) is None
    assert records.list_by_owner(db, record.owner, None, 10) == ([], None)
    assert records.claim_hash(db, record.owner, record.sha256, "again") is None
    assert records.delete(db, record.id) is None
