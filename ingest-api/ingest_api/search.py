"""Searching images: the Elasticsearch query a search becomes, its opaque
cursor, and the answer's shape. Who finds what follows ingest_api/access.py:
everyone finds public images; a signed-in user also finds their own, those
shared with them and their organizations' images, of any visibility;
unlisted images are never listed to anyone else; deleted ones to nobody.
A location is shown, and matched by `near`, only on images whose location
the caller may see (their own, their organizations' as owner or admin).
Documents come from streams/indexing.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from connectors import minio
from connectors.elasticsearch import SearchIndex
from ingest_api import cursors
from ingest_api.access import ANONYMOUS, Viewer
from ingest_api.delivery import Delivery
from ingest_api.errors import InvalidCursor
from ingest_api.models import Facet, ModelTag, SearchItem, SearchOut, TagsOut, VariantOut
from schemas.events import Variant

# search_after needs a total order: a unique tiebreaker ends every sort.
SORTS = {
    "relevance": [{"_score": "desc"}, {"created_at": "desc"}, {"id": "asc"}],
    "newest": [{"created_at": "desc"}, {"id": "asc"}],
}
TEXT_FIELDS = ["title^3", "tags.text^2", "model_tags.tag.text", "description", "labels"]
FACET_SIZE = 20


@dataclass(frozen=True)
class SearchQuery:
    q: str | None = None
    tags: tuple[str, ...] = ()
    camera: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    near: tuple[float, float] | None = None  # lat, lon
    within_km: float | None = None
    album: str | None = None
    sort: str = "relevance"
    limit: int = 20

    def fingerprint(self) -> str:
        """What a cursor is bound to: the same search, only a later page."""
        values = {k: v for k, v in asdict(self).items() if k != "limit"}
        return hashlib.sha256(json.dumps(values, default=str, sort_keys=True).encode()).hexdigest()[:16]


def _either(clauses: list[dict]) -> dict:
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def visible_to(viewer: Viewer) -> list[dict]:
    """Filters every search and completion shares: searchable documents the viewer may list."""
    shown = [{"term": {"visibility": "public"}}]
    if viewer.username is not None:
        shown += [{"term": {"owner": viewer.username}}, {"term": {"shared_with": viewer.username}}]
    if viewer.orgs:
        shown.append({"terms": {"org": sorted(viewer.orgs)}})
    # A document is listed once its upload and its variants are in, and until it is deleted.
    return [_either(shown), {"exists": {"field": "at.uploaded"}}, {"exists": {"field": "at.variants"}},
            {"bool": {"must_not": [{"term": {"deleted": True}}, {"exists": {"field": "at.purged"}}]}}]


def locatable_by(viewer: Viewer) -> dict | None:
    """The documents whose location the viewer may see; None: none."""
    clauses = ([{"term": {"owner": viewer.username}}] if viewer.username else []) + (
        [{"terms": {"org": sorted(viewer.managed_orgs)}}] if viewer.managed_orgs else [])
    return _either(clauses) if clauses else None


def build_query(query: SearchQuery, viewer: Viewer) -> dict:
    filters = visible_to(viewer)
    filters += [{"term": {"all_tags": tag}} for tag in query.tags]
    if query.camera:
        filters.append({"term": {"camera": query.camera}})
    if query.date_from or query.date_to:
        bounds: dict = {"format": "yyyy-MM-dd"}
        if query.date_from:
            bounds["gte"] = query.date_from.isoformat()
        if query.date_to:
            bounds["lt"] = (query.date_to + timedelta(days=1)).isoformat()
        filters.append({"range": {"date": bounds}})
    if query.album:
        filters.append({"term": {"albums": query.album}})
    if query.near is not None:
        lat, lon = query.near
        filters.append({"geo_distance": {"distance": f"{query.within_km}km",
                                         "location": {"lat": lat, "lon": lon}}})
        # Matching by distance reveals where a photo was taken: only where one may see that.
        filters.append(locatable_by(viewer) or {"bool": {"must_not": {"match_all": {}}}})
    must = ([{"multi_match": {"query": query.q, "fields": TEXT_FIELDS, "type": "cross_fields",
                              "operator": "and"}}] if query.q else [])
    return {"bool": {"must": must, "filter": filters}}


def aggregations() -> dict:
    return {
        "tags": {"terms": {"field": "all_tags", "size": FACET_SIZE}},
        "cameras": {"terms": {"field": "camera", "size": FACET_SIZE}},
        "years": {"date_histogram": {"field": "date", "calendar_interval": "year", "format": "yyyy",
                                     "min_doc_count": 1, "order": {"_key": "desc"}}},
    }


def search_body(query: SearchQuery, viewer: Viewer, after: list | None) -> dict:
    body = {"query": build_query(query, viewer), "sort": SORTS[query.sort], "size": query.limit + 1,
            "aggs": aggregations(), "track_total_hits": False}
    if after is not None:
        body["search_after"] = after
    return body


def encode_cursor(query: SearchQuery, sort_values: list) -> str:
    return cursors.encode([query.fingerprint(), sort_values])


def decode_cursor(query: SearchQuery, cursor: str) -> list:
    """The search_after values of `cursor`; InvalidCursor unless this API
    made it for this very search (same text, filters and sort)."""
    try:
        fingerprint, values = cursors.decode(cursor)
    except (TypeError, ValueError):  # not a pair
        raise InvalidCursor("the cursor is not one this API made") from None
    if (fingerprint != query.fingerprint() or not isinstance(values, list)
            or len(values) != len(SORTS[query.sort])
            or not all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in values)):
        raise InvalidCursor("the cursor belongs to another search (text, filters or sort changed)")
    return values


def item(delivery: Delivery, doc: dict, viewer: Viewer = ANONYMOUS) -> SearchItem:
    variants = sorted((Variant(**v) for v in doc.get("variants") or []), key=lambda v: (v.format, v.width))
    visibility = doc.get("visibility", "public")
    located = doc.get("owner") == viewer.username or doc.get("org") in viewer.managed_orgs
    location = doc.get("location") if located else None
    return SearchItem(
        id=doc["id"], owner=doc["owner"], title=doc.get("title"), description=doc.get("description"),
        tags=doc.get("tags") or [], model_tags=[ModelTag(tag=t["tag"], confidence=t["confidence"])
                                                for t in doc.get("model_tags") or []],
        visibility=visibility, created_at=doc.get("created_at"), taken_at=doc.get("taken_at"),
        camera=doc.get("camera"), lens=doc.get("lens"), width=doc.get("width"), height=doc.get("height"),
        orientation=doc.get("orientation"), format=doc.get("format"),
        location=[location["lat"], location["lon"]] if location else None,
        placeholder=doc.get("placeholder"), dominant_color=doc.get("dominant_color"),
        variants=[VariantOut(width=v.width, height=v.height, format=v.format,
                             # catalog.update moves the objects when the visibility changes; the
                             # document keeps the keys of when they were made, so follow the move.
                             url=delivery.variant_url(minio.placed(v.key, minio.placement(visibility))),
                             on_demand=v.on_demand)
                  for v in variants],
    )


def _facets(aggs: dict) -> dict[str, list[Facet]]:
    return {name: [Facet(value=b.get("key_as_string", b["key"]), count=b["doc_count"])
                   for b in aggs[name]["buckets"]] for name in ("tags", "cameras", "years")}


def search(*, index: SearchIndex, delivery: Delivery, viewer: Viewer, query: SearchQuery,
           cursor: str | None) -> SearchOut:
    after = decode_cursor(query, cursor) if cursor else None
    found = index.search(search_body(query, viewer, after))
    hits = found["hits"]["hits"]
    page, more = hits[:query.limit], len(hits) > query.limit
    return SearchOut(items=[item(delivery, h["_source"], viewer) for h in page],
                     facets=_facets(found["aggregations"]),
                     next_cursor=encode_cursor(query, page[-1]["sort"]) if more else None)


def fold(text: str) -> str:
    """What the index's `folded` normalizer does: lowercase, accents off."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tags_body(prefix: str, viewer: Viewer, limit: int) -> dict:
    filters = visible_to(viewer)
    terms: dict = {"field": "all_tags", "size": limit}
    folded = fold(prefix)
    if folded:
        filters.append({"prefix": {"all_tags": folded}})
        # A matching image has other tags too: keep only the buckets that match.
        terms["include"] = re.sub(r"([^\w\s])", r"\\\1", folded) + ".*"
    return {"query": {"bool": {"filter": filters}}, "size": 0, "aggs": {"tags": {"terms": terms}}}


def complete_tags(*, index: SearchIndex, viewer: Viewer, prefix: str, limit: int) -> TagsOut:
    found = index.search(tags_body(prefix, viewer, limit))
    return TagsOut(tags=[Facet(value=b["key"], count=b["doc_count"])
                         for b in found["aggregations"]["tags"]["buckets"]])
