"""The main job of `./darkroom demo`: a smoke run over every engine, then
sample photos uploaded through the API and followed until their variants
are served through the cache."""

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
from devstack import samples as samples_module
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
        session.execute("DELETE FROM images WHERE id = %s", (run,))  # leave no trace in listings
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
    es.delete(index=index, id=run, refresh="wait_for")

    bus = settings_from_env(KafkaSettings, env)
    listed = _timed("Kafka: listed Darkroom's topics", lambda: kafka.admin(bus).list_topics(timeout=10))
    for topic in topics.ALL:
        partitions = len(listed.topics[topic.name].partitions) if topic.name in listed.topics else 0
        print(f"    -> {topic.name}: {partitions} partitions")


def main_job(api: str, api_key: str, timeout_s: float = 300) -> bool:
    """Upload the samples, wait for each, print status, variants and time.
    Returns True when every image ended `ready`."""
    headers = {"Authorization": f"Bearer {api_key}"}
    started: dict[str, tuple[str, float]] = {}
    samples = list(samples_module.photos())
    print(f"uploading {len(samples)} sample photos to {api}:")
    with httpx.Client(base_url=api, headers=headers, timeout=60) as http:
        for number, (name, data) in enumerate(samples, 1):
            response = http.post("/v1/images", files={"file": (name, data)}, data={"title": name})
            body = response.json()
            if response.status_code >= 300:
                print(f"  [{number}/{len(samples)}] {name}: refused: {body}")
                continue
            started[body["id"]] = (name, time.monotonic())
            again = " (already uploaded: the same bytes)" if body.get("duplicate") else ""
            print(f"  [{number}/{len(samples)}] {name} ({len(data) // 1024} KB) -> {body['id']}{again}")
        done: dict[str, dict] = {}
        deadline = time.monotonic() + timeout_s
        while len(done) < len(started) and time.monotonic() < deadline:
            for image_id, (name, t0) in started.items():
                if image_id in done:
                    continue
                record = http.get(f"/v1/images/{image_id}").json()
                if record.get("status") in ("ready", "failed"):
                    done[image_id] = {**record, "seconds": time.monotonic() - t0}
                    print(f"  {len(done)}/{len(started)} done: {name} {record['status']}", flush=True)
            time.sleep(0.5)
    print("results:")
    for image_id, (name, _) in started.items():
        record = done.get(image_id)
        if record is None:
            print(f"  {name}: still processing after {timeout_s:.0f} s")
            continue
        print(f"  {name}: {record['status']} in {record['seconds']:.1f} s"
              + (f" ({record.get('reason')})" if record["status"] == "failed" else ""))
        for variant in record.get("variants", []):
            print(f"    {variant['width']}x{variant['height']} {variant['format']:<5} {variant['url']}")
    return len(done) == len(started) and all(r["status"] == "ready" for r in done.values())


def wait_for_api(api: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"the API at {api} did not become ready in {timeout_s:.0f} s")
