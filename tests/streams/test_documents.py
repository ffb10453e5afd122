"""The search document's assembly (streams/documents.py), without engines:
any order, any redelivery, the same final document; deletes hide until a
later restore; purges stay purged."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from schemas.events import (
    DetectedTag,
    Gps,
    ImageDeleted,
    ImageMetadata,
    ImagePurged,
    ImageRestored,
    ImageUpdated,
    ImageUploaded,
    MetadataExtracted,
    TagsDetected,
    Variant,
    VariantsReady,
)
from streams import documents

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ID = "img1"
USER = documents.user_fields("ann", "public", "Cafés at dawn", None, ["Café"])


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


UPLOADED = ImageUploaded(image_id=ID, occurred_at=at(0), owner="ann", sha256="s", original_key="k",
                         mime_type="image/jpeg", byte_size=10, width=4000, height=3000)
VARIANTS = VariantsReady(image_id=ID, occurred_at=at(5), placeholder="PH", dominant_color="#102030",
                         variants=[Variant(width=320, height=240, format="jpeg", key="public/v/a.jpg",
                                           byte_size=1)])
METADATA = MetadataExtracted(image_id=ID, occurred_at=at(6), metadata=ImageMetadata(
    camera_make="Canon", camera_model="Canon EOS R5", lens="RF 24-70", taken_at="2019-07-14T18:30:00",
    width=4000, height=3000, mime_type="image/jpeg", gps=Gps(latitude=38.7, longitude=-9.1)))
TAGS = TagsDetected(image_id=ID, occurred_at=at(7), model="m1",
                    tags=[DetectedTag(tag="coffee", confidence=0.9)])
UPDATED = ImageUpdated(image_id=ID, occurred_at=at(10), owner="ann", title="Espresso", tags=["drink"],
                       visibility="private")


def fold(events, doc=None) -> dict:
    doc = doc or {}
    for event in events:
        name, fields = documents.section(event, USER if isinstance(event, ImageUploaded) else None)
        new = documents.merge(doc, ID, name, fields, event.occurred_at)
        doc = new if new is not None else doc
    return doc


ALL = [UPLOADED, VARIANTS, METADATA, TAGS, UPDATED]


def test_every_order_gives_the_same_document():
    expected = fold(ALL)
    for order in itertools.permutations(ALL):
        assert fold(order) == expected, [type(e).__name__ for e in order]


def test_the_document_holds_each_sections_facts():
    doc = fold(ALL)
    assert (doc["title"], doc["tags"], doc["visibility"]) == ("Espresso", ["drink"], "private")  # the edit
    assert "description" not in doc
    assert doc["model_tags"] == [{"tag": "coffee", "confidence": 0.9, "source": "model"}]
    assert doc["all_tags"] == ["coffee", "drink"]
    assert (doc["camera"], doc["lens"], doc["orientation"], doc["format"]) == (
        "Canon EOS R5", "RF 24-70", "landscape", "jpeg")
    assert doc["location"] == {"lat": 38.7, "lon": -9.1}
    assert doc["date"] == doc["taken_at"] == "2019-07-14T18:30:00"
    assert doc["variants"][0]["key"] == "public/v/a.jpg" and doc["owner"] == "ann"


def test_redelivered_and_older_facts_change_nothing():
    doc = fold(ALL)
    for event in ALL:
        name, fields = documents.section(event, USER if isinstance(event, ImageUploaded) else None)
        assert documents.merge(doc, ID, name, fields, event.occurred_at) is None
    older = UPDATED.model_copy(update={"occurred_at": at(9), "title": "Older"})
    name, fields = documents.section(older)
    assert documents.merge(doc, ID, name, fields, older.occurred_at) is None


def test_a_newer_edit_wins_over_the_upload_form_whatever_the_order():
    edited_first = fold([UPDATED, UPLOADED])
    assert (edited_first["title"], edited_first["visibility"]) == ("Espresso", "private")
    assert edited_first["created_at"] == T0.isoformat()  # the upload's own facts still arrive


@pytest.mark.parametrize("late", ALL, ids=lambda e: type(e).__name__)
def test_a_purged_image_stays_purged(late):
    purged = ImagePurged(image_id=ID, occurred_at=at(20), owner="ann", reason="requested")
    doc = fold([*ALL, purged])
    assert set(doc) == {"id", "owner", "at"} and "purged" in doc["at"]
    assert fold([late], doc) == doc  # redelivered afterwards: nothing comes back
    assert fold([purged, late]) == fold([purged])  # or the purge came first


def test_a_delete_hides_until_a_newer_restore_whatever_the_order():
    deleted = ImageDeleted(image_id=ID, occurred_at=at(20), owner="ann")
    restored = ImageRestored(image_id=ID, occurred_at=at(30), owner="ann")
    hidden = fold([*ALL, deleted])
    assert hidden["deleted"] is True and hidden["title"] == "Espresso"  # kept, for a restore
    back = fold([*ALL, deleted, restored])
    assert back["deleted"] is False and documents.is_complete(back)
    assert fold([restored, *ALL, deleted]) == back  # the older delete arriving last changes nothing


@pytest.mark.parametrize(("events", "complete"), [
    ([UPLOADED, VARIANTS, METADATA], False),
    ([VARIANTS, METADATA, TAGS], True),
    ([UPLOADED, VARIANTS, TAGS, UPDATED], False),
    ([*ALL, ImageDeleted(image_id=ID, occurred_at=at(30), owner="ann")], False),
    ([*ALL, ImagePurged(image_id=ID, occurred_at=at(30), owner="ann", reason="requested")], False),
], ids=["no-tags", "three-sections", "no-metadata", "deleted", "purged"])
def test_complete_means_variants_metadata_and_tags(events, complete):
    assert documents.is_complete(fold(events)) is complete


@pytest.mark.parametrize(("make", "model", "name"), [
    ("Canon", "Canon EOS R5", "Canon EOS R5"), ("NIKON", "Z 6", "NIKON Z 6"), (None, "X100V", "X100V"),
    (None, None, None)], ids=["model-has-make", "joined", "model-only", "none"])
def test_camera_name(make, model, name):
    assert documents.camera_name(make, model) == name


def test_an_unreadable_exif_date_is_left_out():
    assert documents.taken_at("2019:07:14 18:30:00") is None
    assert documents.taken_at("2019-07-14T18:30:00+02:00") == "2019-07-14T18:30:00+02:00"
