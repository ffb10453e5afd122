"""Fixtures of the stage tests (helpers are in stages.py)."""

from __future__ import annotations

import pytest

from connectors.cassandra import Cassandra
from connectors.minio import ObjectStore
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, MinioSettings


@pytest.fixture(scope="module")
def cassandra(stack):
    """The keyspace, for the rare test that puts a record in a state no
    repository method makes (a crash half way)."""
    db = Cassandra(CassandraSettings())
    yield db
    db.close()


@pytest.fixture(scope="module")
def images(cassandra) -> ImageRepository:
    return ImageRepository(cassandra)


@pytest.fixture(scope="module")
def store(stack) -> ObjectStore:
    return ObjectStore(MinioSettings())
