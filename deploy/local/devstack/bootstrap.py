"""Creates what Darkroom needs in each engine; safe to run on every start."""

from __future__ import annotations

from connectors import cassandra, elasticsearch, kafka, minio
from connectors.accounts import SCOPES, Accounts, secret_hash
from connectors.cassandra import Cassandra
from connectors.settings import (
    CassandraSettings,
    DeliverySettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
)
from devstack import log
from devstack.settings_env import settings_from_env  # not engines: the app image has no Docker client
from schemas import topics
from schemas.topics import Topic
from streams import registry


def wanted_topics() -> tuple[Topic, ...]:
    """Every topic Darkroom owns: the events' and each stage's dead-letter
    topic, which is declared with the stage, so the stages are found first."""
    registry.discover()
    return topics.declared()


DEV_KEY = "DARKROOM_API_DEV_API_KEY"


def dev_user(settings: CassandraSettings, key: str) -> None:
    """The local stack's user `dev` (an admin, no password: it signs in by its
    key), and the stack's dev key as its API key with every scope."""
    db = Cassandra(settings)
    try:
        accounts = Accounts(db)
        accounts.create_user("dev", None, is_admin=True)
        accounts.add_key(secret_hash(key), "dev", "dev", "the local stack's dev key", key[:8],
                         frozenset(SCOPES))
    finally:
        db.close()


def run(env: dict[str, str]) -> dict[str, list[str]]:
    """Topics, keyspace and tables, index templates and aliases, buckets and
    policies. Returns what was created this time (empty lists on a re-run)."""
    origin_secret = settings_from_env(DeliverySettings, env).origin_secret.get_secret_value()
    created = {
        "topics": kafka.ensure_topics(settings_from_env(KafkaSettings, env), wanted_topics()),
        "indices": elasticsearch.ensure_indices(settings_from_env(ElasticsearchSettings, env)),
        "buckets": minio.ensure_buckets(settings_from_env(MinioSettings, env), origin_secret),
    }
    db_settings = settings_from_env(CassandraSettings, env)
    cassandra.ensure_schema(db_settings)
    if env.get(DEV_KEY):
        dev_user(db_settings, env[DEV_KEY])
    log.step("bootstrap: " + "; ".join(f"{k} created: {', '.join(v) or 'none'}" for k, v in created.items()))
    return created
