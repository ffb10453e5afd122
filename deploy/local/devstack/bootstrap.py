"""Creates what Darkroom needs in each engine; safe to run on every start."""

from __future__ import annotations

from connectors import cassandra, elasticsearch, kafka, minio
from connectors.settings import (
    CassandraSettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
)
from devstack import log
from devstack.engines import settings_from_env
from schemas import topics
from schemas.topics import Topic
from streams import registry


def wanted_topics() -> tuple[Topic, ...]:
    """Every topic Darkroom owns: the events' and each stage's dead-letter
    topic, which is declared with the stage, so the stages are found first."""
    registry.discover()
    return topics.declared()


def run(env: dict[str, str]) -> dict[str, list[str]]:
    """Topics, keyspace and tables, index templates and aliases, buckets and
    policies. Returns what was created this time (empty lists on a re-run)."""
    created = {
        "topics": kafka.ensure_topics(settings_from_env(KafkaSettings, env), wanted_topics()),
        "indices": elasticsearch.ensure_indices(settings_from_env(ElasticsearchSettings, env)),
        "buckets": minio.ensure_buckets(settings_from_env(MinioSettings, env)),
    }
    cassandra.ensure_schema(settings_from_env(CassandraSettings, env))
    log.step("bootstrap: " + "; ".join(f"{k} created: {', '.join(v) or 'none'}" for k, v in created.items()))
    return created
