"""Fixtures of the stage tests (helpers are in stages.py)."""

from __future__ import annotations

import pytest

from connectors import cassandra
from connectors.settings import CassandraSettings


@pytest.fixture(scope="module")
def db(stack):
    settings = CassandraSettings()
    session = cassandra.connect(settings, settings.keyspace)
    yield session
    session.cluster.shutdown()
