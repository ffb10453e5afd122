"""The smoke run of `./darkroom demo`, on the session's stack: one round trip
through every engine by the connectors the services use, leaving no trace."""

import re

import pytest
from devstack import demo

from connectors.cassandra import Cassandra
from connectors.elasticsearch import SearchIndex
from connectors.minio import ObjectStore
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, ElasticsearchSettings, MinioSettings
from schemas import topics

pytestmark = pytest.mark.integration


def test_the_smoke_run_reaches_every_engine_and_leaves_no_trace(stack_env, capsys):
    demo.smoke(stack_env)
    out = capsys.readouterr().out
    run = re.search(r"smoke run (\w+):", out)[1]
    assert out.count("-> 200, X-Cache-Status") == 2 and "it was cached: True" in out
    assert "-> processing" in out and "-> 1 hit(s)" in out
    assert f"-> {topics.IMAGE_UPLOADED.name}: 0 partitions" not in out

    assert ObjectStore(MinioSettings()).variants.stat(f"public/demo/{run}.jpg") is None
    db = Cassandra(CassandraSettings())
    try:
        assert ImageRepository(db).get(run) is None
    finally:
        db.close()
    index = SearchIndex(ElasticsearchSettings())
    try:
        assert index.get(run) is None
    finally:
        index.close()
