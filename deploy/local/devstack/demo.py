"""The main job of `./darkroom demo`, for now a smoke run over every engine:
it stores a generated image, serves it through the cache, records it,
indexes it and announces it, and prints what each step did."""

from __future__ import annotations

import io
import time
import uuid

import httpx
from PIL import Image

from connectors import cassandra, elasticsearch, kafka, minio
from connectors.settings import (
    CassandraSettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
    NginxSettings,
)
from devstack.engines import settings_from_env
from schemas import topics


def _sample_jpeg() -> bytes:
    image = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _timed(label: str, action) -> object:
    started = time.perf_counter()
    result = action()
    print(f"  {label:<58} {1000 * (time.perf_counter() - started):7.1f} ms")
    return result


def smoke(env: dict[str, str]) -> None:
    run = uuid.uuid4().hex[:12]
    store, cache = settings_from_env(MinioSettings, env), settings_from_env(NginxSettings, env)
    data = _sample_jpeg()
    key = f"public/demo/{run}.jpg"
    print(f"smoke run {run}:")
    _timed(f"MinIO: stored {len(data)} bytes as {store.variants_bucket}/{key}",
           lambda: minio.client(store).put_object(
               store.variants_bucket, key, io.BytesIO(data), len(data), content_type="image/jpeg",
               metadata={"Cache-Control": "public, max-age=31536000, immutable"}))
    url = f"{cache.url}/{store.variants_bucket}/{key}"
    for attempt in ("first", "second"):
        response = _timed(f"nginx: {attempt} GET", lambda: httpx.get(url))
        print(f"    -> {response.status_code}, X-Cache-Status {response.headers.get('x-cache-status')}")

    db = settings_from_env(CassandraSettings, env)
    session = cassandra.connect(db, db.keyspace)
    try:
        insert = session.prepare("INSERT INTO images (id, owner, status, created_at) "
                                 "VALUES (?, 'demo', 'ready', toTimestamp(now())) IF NOT EXISTS")
        applied = _timed("Cassandra: recorded the image (LWT)", lambda: session.execute(insert, (run,)).one())
        print(f"    -> applied: {applied.applied}")
    finally:
        session.cluster.shutdown()

    search = settings_from_env(ElasticsearchSettings, env)
    es, index = elasticsearch.client(search), elasticsearch.alias(search, "images")
    _timed("Elasticsearch: indexed 'Cafés at dawn'", lambda: es.index(
        index=index, id=run, document={"id": run, "title": "Cafés at dawn", "owner": "demo"},
        refresh="wait_for"))
    hits = _timed("Elasticsearch: searched for 'cafe'", lambda: es.search(
        index=index, query={"bool": {"must": {"match": {"title": "cafe"}},
                                     "filter": {"term": {"id": run}}}}))
    print(f"    -> {hits['hits']['total']['value']} hit(s)")

    bus = settings_from_env(KafkaSettings, env)
    listed = _timed("Kafka: listed Darkroom's topics", lambda: kafka.admin(bus).list_topics(timeout=10))
    for topic in topics.ALL:
        partitions = len(listed.topics[topic.name].partitions) if topic.name in listed.topics else 0
        print(f"    -> {topic.name}: {partitions} partitions")
