"""Search without engines: the query a search becomes, its cursor, and the
parameter errors answered before Elasticsearch is asked."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from ingest_api import search
from ingest_api.access import ANONYMOUS, Viewer
from ingest_api.auth import Principal
from ingest_api.errors import InvalidCursor
from ingest_api.search import SearchQuery

from tests.ingest_api.conftest import bearer


def viewer(name: str | None, orgs: dict[str, str] | None = None) -> Viewer:
    return Viewer(Principal(name, frozenset({"read"})), orgs or {}) if name else ANONYMOUS


def _filters(query: SearchQuery, name: str | None, orgs: dict[str, str] | None = None) -> list[dict]:
    return search.build_query(query, viewer(name, orgs))["bool"]["filter"]


def test_anonymous_callers_see_public_images_only():
    assert _filters(SearchQuery(), None)[0] == {"term": {"visibility": "public"}}


def test_a_user_also_sees_their_own_those_shared_with_them_and_their_organizations():
    shown = _filters(SearchQuery(), "ann", {"acme": "viewer"})[0]
    assert shown == {"bool": {"should": [{"term": {"visibility": "public"}}, {"term": {"owner": "ann"}},
                                         {"term": {"shared_with": "ann"}}, {"terms": {"org": ["acme"]}}],
                              "minimum_should_match": 1}}


def test_deleted_and_unfinished_documents_are_never_listed():
    filters = _filters(SearchQuery(), None)
    assert {"exists": {"field": "at.variants"}} in filters
    hidden = [{"term": {"deleted": True}}, {"exists": {"field": "at.purged"}}]
    assert {"bool": {"must_not": hidden}} in filters


def test_near_matches_only_images_whose_location_the_caller_may_see():
    near = SearchQuery(near=(38.7, -9.1), within_km=5.0)
    assert _filters(near, None)[-1] == {"bool": {"must_not": {"match_all": {}}}}
    assert _filters(near, "ann", {"acme": "admin", "other": "member"})[-1] == {
        "bool": {"should": [{"term": {"owner": "ann"}}, {"terms": {"org": ["acme"]}}],
                 "minimum_should_match": 1}}


def test_every_filter_becomes_a_clause():
    query = SearchQuery(q="dog", tags=("cat", "sea"), camera="canon eos r5", date_from=date(2020, 1, 1),
                        date_to=date(2020, 12, 31), near=(38.7, -9.1), within_km=5.0)
    built = search.build_query(query, ANONYMOUS)["bool"]
    assert built["must"][0]["multi_match"]["query"] == "dog"
    extra = built["filter"][len(search.visible_to(ANONYMOUS)):]
    assert extra == [
        {"term": {"all_tags": "cat"}}, {"term": {"all_tags": "sea"}}, {"term": {"camera": "canon eos r5"}},
        {"range": {"date": {"format": "yyyy-MM-dd", "gte": "2020-01-01", "lt": "2021-01-01"}}},
        {"geo_distance": {"distance": "5.0km", "location": {"lat": 38.7, "lon": -9.1}}},
        {"bool": {"must_not": {"match_all": {}}}},  # anonymous callers see no location
    ]


def test_every_sort_ends_with_a_unique_tiebreaker():
    for sort in search.SORTS.values():
        assert sort[-1] == {"id": "asc"}


def test_a_cursor_round_trips_for_the_same_search_only():
    query = SearchQuery(q="dog", sort="newest")
    cursor = search.encode_cursor(query, [1714564800000, "abc"])
    same_search = SearchQuery(q="dog", sort="newest", limit=5)  # another page size is the same search
    assert search.decode_cursor(same_search, cursor) == [1714564800000, "abc"]
    with pytest.raises(InvalidCursor):
        search.decode_cursor(SearchQuery(q="cat", sort="newest"), cursor)


@pytest.mark.parametrize("cursor", [
    "not base64!", base64.urlsafe_b64encode(b"{}").decode(),
    base64.urlsafe_b64encode(json.dumps(["x", [1, "a"]]).encode()).decode(),
], ids=["garbage", "wrong-shape", "wrong-fingerprint"])
def test_a_forged_cursor_is_refused(cursor):
    with pytest.raises(InvalidCursor):
        search.decode_cursor(SearchQuery(sort="newest"), cursor)


def test_tag_completion_folds_and_escapes_the_prefix():
    body = search.tags_body("Caf\u00e9.", ANONYMOUS, 10)
    assert body["query"]["bool"]["filter"][-1] == {"prefix": {"all_tags": "cafe."}}
    assert body["aggs"]["tags"]["terms"]["include"] == "cafe\\..*"


@pytest.mark.parametrize(("params", "code", "status"), [
    ({"near": "north"}, "invalid_request", 422),
    ({"near": "91,0"}, "invalid_request", 422),
    ({"within": "5"}, "invalid_request", 422),
    ({"near": "1,2", "within": "0"}, "invalid_request", 422),
    ({"from": "2020-02-30"}, "invalid_request", 422),
    ({"from": "2021-01-01", "to": "2020-01-01"}, "invalid_request", 422),
    ({"sort": "random"}, "invalid_request", 422),
    ({"limit": "0"}, "invalid_request", 422),
    ({"cursor": "forged"}, "invalid_cursor", 400),
], ids=["near-words", "near-latitude", "within-alone", "within-zero", "bad-date", "from-after-to",
        "bad-sort", "limit-zero", "forged-cursor"])
def test_bad_parameters_have_stable_codes(offline_client, params, code, status):
    client, _ = offline_client
    response = client.get("/v1/search", params=params)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_a_wrong_key_is_refused_even_where_anonymous_callers_are_welcome(offline_client):
    client, _ = offline_client
    response = client.get("/v1/search", headers=bearer("not-a-key-of-anyone"))
    assert (response.status_code, response.json()["error"]["code"]) == (401, "invalid_api_key")
