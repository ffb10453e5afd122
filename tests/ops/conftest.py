"""Fixtures of the ops tests (helpers are in helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.cassandra import Cassandra
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings


@pytest.fixture(scope="module")
def images(stack) -> Iterator[ImageRepository]:
    db = Cassandra(CassandraSettings())
    yield ImageRepository(db)
    db.close()
