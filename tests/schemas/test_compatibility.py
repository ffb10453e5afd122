"""The event contract: what consumers of earlier versions rely on still holds."""

import json

import pytest
from pydantic import BaseModel

from schemas import compat, events, publish, topics


@pytest.mark.parametrize("event", events.Event.declared(), ids=lambda e: e.__name__)
def test_current_schema_keeps_every_published_version_readable(event):
    published = sorted(publish.SNAPSHOTS.glob(f"{event.TOPIC.name}.v*.json"))
    assert published, f"no snapshot for {event.__name__}: run python -m schemas.publish"
    current = publish.schema_of(event)
    for path in published:
        assert compat.breaking_changes(json.loads(path.read_text()), current) == [], path.name


def test_reference_page_is_up_to_date():
    assert publish.REFERENCE.read_text() == publish.render_reference(), \
        "schemas/TOPICS.md is stale: run python -m schemas.publish"


@pytest.mark.parametrize("event", events.Event.declared(), ids=lambda e: e.__name__)
def test_example_round_trips_and_old_readers_ignore_new_fields(event):
    message = publish.example(event)
    assert event.parse(message.value()) == message
    extended = json.loads(message.value()) | {"field_from_the_future": 1}
    assert event.parse(json.dumps(extended)) == message


def test_every_event_topic_is_declared():
    assert {e.TOPIC for e in events.Event.declared()} <= set(topics.declared())


class _Old(BaseModel):
    image_id: str
    width: int
    tags: list[str] = []


class _Removed(BaseModel):
    image_id: str
    tags: list[str] = []


class _Retyped(BaseModel):
    image_id: str
    width: str
    tags: list[str] = []


class _Optional(BaseModel):
    image_id: str
    width: int | None = None
    tags: list[str] = []


class _Added(BaseModel):
    image_id: str
    width: int
    tags: list[str] = []
    height: int


@pytest.mark.parametrize(("new", "expected"), [
    (_Removed, ["width: removed"]),
    (_Retyped, ["width: type changed"]),
    (_Optional, ["width: no longer required", "width: type changed"]),
    (_Added, []),
], ids=["removed", "retyped", "made-optional", "added-field-is-safe"])
def test_checker_finds_each_kind_of_break(new, expected):
    assert compat.breaking_changes(_Old.model_json_schema(), new.model_json_schema()) == expected


class _Place(BaseModel):
    lat: float
    lon: float


class _PlaceWithName(BaseModel):
    name: str = ""
    lon: float  # declared in another order: order means nothing to a reader
    lat: float


class _PlaceWithoutLon(BaseModel):
    lat: float


class _Pinned(BaseModel):
    image_id: str
    place: _Place | None = None


def _pinned(place_type: type) -> dict:
    return type("_P", (BaseModel,), {"__annotations__": {"image_id": str, "place": place_type | None},
                                      "place": None}).model_json_schema()


@pytest.mark.parametrize(("place_type", "expected"), [
    (_PlaceWithName, []),
    (_PlaceWithoutLon, ["place.lon: removed"]),
], ids=["field-added-inside-optional-object", "field-removed-inside-optional-object"])
def test_checker_looks_inside_optional_objects(place_type, expected):
    assert compat.breaking_changes(_Pinned.model_json_schema(), _pinned(place_type)) == expected


def test_an_object_that_may_now_be_null_breaks_readers():
    class Required(BaseModel):
        image_id: str
        place: _Place

    class Nullable(BaseModel):
        image_id: str
        place: _Place | None

    assert compat.breaking_changes(Required.model_json_schema(), Nullable.model_json_schema()) == [
        "place: may now be null"]
