import json
import uuid

import pytest
from elasticsearch import helpers

from connectors import elasticsearch
from connectors.settings import ElasticsearchSettings

pytestmark = pytest.mark.integration

DOCS = [
    {"title": "Cafés of Lisbon at dawn", "tags": ["Café", "city"]},
    {"title": "A dog running on the beach", "tags": ["dog", "beach"]},
    {"title": "Espresso and a croissant", "tags": ["coffee", "city"]},
]


@pytest.fixture(scope="module")
def indexed():
    settings = ElasticsearchSettings()
    es = elasticsearch.client(settings)
    owner = uuid.uuid4().hex
    index = elasticsearch.alias(settings, "images")
    actions = [{"_index": index, "_id": f"{owner}-{i}", "_source": {**doc, "owner": owner}}
               for i, doc in enumerate(DOCS)]
    ok, errors = helpers.bulk(es, actions, refresh="wait_for")
    assert (ok, errors) == (len(DOCS), [])
    return es, index, owner


def _titles(es, index, owner, query):
    result = es.search(index=index, query={"bool": {"must": query, "filter": {"term": {"owner": owner}}}})
    return sorted(hit["_source"]["title"] for hit in result["hits"]["hits"])


@pytest.mark.parametrize(("text", "expected"), [
    ("cafe", ["Cafés of Lisbon at dawn"]),       # accent folding
    ("CAFES", ["Cafés of Lisbon at dawn"]),      # folding, lowercase and plural stem
    ("run", ["A dog running on the beach"]),     # English stemming
    ("dogs", ["A dog running on the beach"]),
], ids=["accent", "case-and-plural", "stem-ing", "stem-plural"])
def test_search_folds_accents_and_stems_english(indexed, text, expected):
    es, index, owner = indexed
    assert _titles(es, index, owner, {"match": {"title": text}}) == expected


def test_keyword_normalizer_folds_tags(indexed):
    es, index, owner = indexed
    assert _titles(es, index, owner, {"term": {"tags": "cafe"}}) == ["Cafés of Lisbon at dawn"]


def test_terms_aggregation_counts_tags(indexed):
    es, index, owner = indexed
    result = es.search(index=index, size=0, query={"term": {"owner": owner}},
                       aggs={"tags": {"terms": {"field": "tags"}}})
    counts = {b["key"]: b["doc_count"] for b in result["aggregations"]["tags"]["buckets"]}
    assert counts == {"city": 2, "cafe": 1, "dog": 1, "beach": 1, "coffee": 1}


def test_alias_points_at_a_versioned_index():
    settings = ElasticsearchSettings()
    es = elasticsearch.client(settings)
    aliases = es.indices.get_alias(name=elasticsearch.alias(settings, "images"))
    version = json.loads((elasticsearch.TEMPLATES / "images.json").read_text())["_version"]
    assert list(aliases) == [f"{elasticsearch.alias(settings, 'images')}-v{version}"]
    assert elasticsearch.ensure_indices(settings) == []  # idempotent


def test_a_new_template_version_rolls_out_by_reindexing(tmp_path):
    settings = ElasticsearchSettings(index_prefix=f"rollout-{uuid.uuid4().hex[:8]}")
    es = elasticsearch.client(settings)
    template = {"priority": 50, "template": {"mappings": {"dynamic": "strict",
                                                          "properties": {"title": {"type": "text"}}}}}
    (tmp_path / "things.json").write_text(json.dumps({"_version": 1, **template}))
    assert elasticsearch.ensure_indices(settings, tmp_path) == [f"{settings.index_prefix}-things-v1"]
    name = elasticsearch.alias(settings, "things")
    es.index(index=name, id="a", document={"title": "kept across versions"}, refresh="wait_for")

    template["template"]["mappings"]["properties"]["colour"] = {"type": "keyword"}
    (tmp_path / "things.json").write_text(json.dumps({"_version": 2, **template}))
    assert elasticsearch.ensure_indices(settings, tmp_path) == [f"{name}-v2"]
    assert list(es.indices.get_alias(name=name)) == [f"{name}-v2"]
    assert es.get(index=name, id="a")["_source"] == {"title": "kept across versions"}
    es.index(index=name, id="b", document={"title": "new", "colour": "red"})  # the new mapping takes it
    assert elasticsearch.ensure_indices(settings, tmp_path) == []
    es.indices.delete(index=f"{name}-v1,{name}-v2")
    es.indices.delete_index_template(name=name)
