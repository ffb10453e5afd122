"""Cassandra through cassandra-driver: one session, prepared statements, schema bootstrap."""

from __future__ import annotations

import time
from pathlib import Path

from cassandra.cluster import Cluster, NoHostAvailable, Session
from cassandra.policies import WhiteListRoundRobinPolicy

from connectors.settings import CassandraSettings

SCHEMA = Path(__file__).with_name("cassandra_schema.cql")


def connect(settings: CassandraSettings, keyspace: str | None = None) -> Session:
    # One node behind a mapped port: only ever dial the contact point, never the
    # addresses the node advertises for itself (those are inside Docker).
    cluster = Cluster(
        contact_points=[settings.host],
        port=settings.port,
        load_balancing_policy=WhiteListRoundRobinPolicy([settings.host]),
        connect_timeout=settings.connect_timeout_s,
        control_connection_timeout=settings.connect_timeout_s,  # the 2 s default times out under load
        protocol_version=5,
    )
    return cluster.connect(keyspace)


def wait_ready(settings: CassandraSettings, timeout_s: float = 120) -> str:
    """Wait until CQL answers; return the server's release version."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            session = connect(settings)
            try:
                return session.execute("SELECT release_version FROM system.local").one()[0]
            finally:
                session.cluster.shutdown()
        except (NoHostAvailable, OSError) as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Cassandra at {settings.host}:{settings.port}: {exc}") from exc
            time.sleep(0.5)


def ensure_schema(settings: CassandraSettings) -> None:
    """Create the keyspace and tables; every statement is IF NOT EXISTS."""
    session = connect(settings)
    try:
        session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {settings.keyspace} WITH replication = "
            f"{{'class': 'SimpleStrategy', 'replication_factor': {settings.replication_factor}}}"
        )
        session.set_keyspace(settings.keyspace)
        for statement in SCHEMA.read_text().split(";"):
            if statement.strip():
                session.execute(statement)
    finally:
        session.cluster.shutdown()
