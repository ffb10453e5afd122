import uuid

import pytest

from connectors import cassandra
from connectors.settings import CassandraSettings

pytestmark = pytest.mark.integration


def test_prepared_write_read_and_lightweight_transaction():
    settings = CassandraSettings()
    session = cassandra.connect(settings, settings.keyspace)
    try:
        claim = session.prepare(
            "INSERT INTO images_by_hash (owner, sha256, image_id) VALUES (?, ?, ?) IF NOT EXISTS"
        )
        owner, digest = "tester", uuid.uuid4().hex
        first = session.execute(claim, (owner, digest, "img-1")).one()
        second = session.execute(claim, (owner, digest, "img-2")).one()
        assert first.applied is True
        assert second.applied is False
        assert second.image_id == "img-1"  # the loser learns who won

        read = session.prepare("SELECT image_id FROM images_by_hash WHERE owner = ? AND sha256 = ?")
        assert session.execute(read, (owner, digest)).one().image_id == "img-1"
    finally:
        session.cluster.shutdown()


def test_schema_bootstrap_is_idempotent():
    settings = CassandraSettings()
    cassandra.ensure_schema(settings)
    cassandra.ensure_schema(settings)
    session = cassandra.connect(settings)
    try:
        tables = {row.table_name for row in session.execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (settings.keyspace,))}
    finally:
        session.cluster.shutdown()
    assert {"images", "images_by_hash"} <= tables
