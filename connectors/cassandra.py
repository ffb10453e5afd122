"""Cassandra through cassandra-driver: the connection the repositories share,
their prepared statements, and the schema bootstrap.

Repositories (connectors/records.py) hold a `Cassandra` and never see the
driver's session outside this package.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from cassandra import OperationTimedOut, ReadTimeout, Unavailable, WriteTimeout
from cassandra.cluster import Cluster, NoHostAvailable, ResultSet, Session
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import BatchStatement, BatchType, PreparedStatement

from connectors.settings import CassandraSettings

SCHEMA = Path(__file__).with_name("cassandra_schema.cql")

# What a caller may treat as "Cassandra is away for now" (answer 503, retry later).
UNAVAILABLE: tuple[type[Exception], ...] = (
    NoHostAvailable, OperationTimedOut, Unavailable, ReadTimeout, WriteTimeout)


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


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """The driver hands back timestamps as naive datetimes that are in UTC: make them aware."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Cassandra:
    """The keyspace's session, connected on first use (a process starts, and
    answers its health checks, while Cassandra is still coming up), and each
    statement prepared once."""

    def __init__(self, settings: CassandraSettings) -> None:
        self.settings = settings
        self._session: Session | None = None
        self._prepared: dict[str, PreparedStatement] = {}
        self._lock = threading.RLock()  # statement() holds it while session connects

    @property
    def session(self) -> Session:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = connect(self.settings, self.settings.keyspace)
        return self._session

    def statement(self, cql: str) -> PreparedStatement:
        prepared = self._prepared.get(cql)
        if prepared is None:
            with self._lock:  # prepare once even when several request threads ask at once
                prepared = self._prepared.get(cql)
                if prepared is None:
                    prepared = self._prepared[cql] = self.session.prepare(cql)
        return prepared

    def execute(self, cql: str, values: tuple | list = (), fetch_size: int | None = None) -> ResultSet:
        bound = self.statement(cql).bind(values)
        if fetch_size is not None:
            bound.fetch_size = fetch_size
        return self.session.execute(bound)

    def execute_async(self, cql: str, values: tuple | list = ()) -> Any:
        return self.session.execute_async(self.statement(cql), values)

    def batch(self, *statements: tuple[str, tuple | list]) -> None:
        """Several writes that land together or not at all (a logged batch)."""
        batch = BatchStatement(BatchType.LOGGED)
        for cql, values in statements:
            batch.add(self.statement(cql), values)
        self.session.execute(batch)

    def close(self) -> None:
        if self._session is not None:
            self._session.cluster.shutdown()
            self._session = None
            self._prepared.clear()


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
