"""The main job of `./darkroom demo`: a smoke run over every engine, then
sample photos uploaded through the API and followed until their variants
are served through the cache."""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import httpx
from PIL import Image

from connectors import kafka
from connectors.cassandra import Cassandra
from connectors.elasticsearch import SearchIndex
from connectors.minio import ObjectStore
from connectors.nginx import DeliveryCache
from connectors.records import ImageRecord, ImageRepository
from connectors.settings import (
    CassandraSettings,
    DeliverySettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
    NginxSettings,
)
from devstack import bootstrap
from devstack import samples as samples_module
from devstack.engines import settings_from_env

R = TypeVar("R")
OWNER = "demo"  # not a user of the API: the smoke run's rows are nobody's uploads


def _sample_jpeg() -> bytes:
    image = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _timed(label: str, action: Callable[[], R]) -> R:
    started = time.perf_counter()
    result = action()
    print(f"  {label:<58} {1000 * (time.perf_counter() - started):7.1f} ms")
    return result


def smoke(env: dict[str, str]) -> None:
    """One round trip through each engine, by the connectors the services
    use; whatever it writes, it removes."""
    run = uuid.uuid4().hex[:12]
    data = _sample_jpeg()
    print(f"smoke run {run}:")
    _delivery(run, data, settings_from_env(MinioSettings, env), settings_from_env(NginxSettings, env),
              settings_from_env(DeliverySettings, env))
    _records(run, data, settings_from_env(CassandraSettings, env))
    _search(run, settings_from_env(ElasticsearchSettings, env))
    _topics(settings_from_env(KafkaSettings, env))


def _delivery(run: str, data: bytes, store_settings: MinioSettings, cache_settings: NginxSettings,
              delivery: DeliverySettings) -> None:
    variants = ObjectStore(store_settings).variants
    key = f"public/demo/{run}.jpg"
    _timed(f"MinIO: stored {len(data)} bytes as {variants.name}/{key}",
           lambda: variants.put_immutable(key, data, "image/jpeg"))
    path = f"/{variants.name}/{key}"
    for attempt in ("first", "second"):
        response = _timed(f"nginx: {attempt} GET", lambda: httpx.get(f"{cache_settings.url}{path}"))
        print(f"    -> {response.status_code}, X-Cache-Status {response.headers.get('x-cache-status')}")
    variants.remove(key)
    cache = DeliveryCache(cache_settings, delivery.purge_token)
    purged = _timed("nginx: purged the cached copy", lambda: cache.purge(path))
    print(f"    -> it was cached: {purged}")


def _records(run: str, data: bytes, settings: CassandraSettings) -> None:
    db = Cassandra(settings)
    images = ImageRepository(db)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        holder = _timed("Cassandra: claimed the bytes' hash (LWT)",
                        lambda: images.claim_hash(OWNER, sha256, run))
        print("    -> claimed" if holder is None else f"    -> held by an earlier run, {holder}")
        record = ImageRecord(id=run, owner=OWNER, sha256=sha256, original_key=f"demo/{run}",
                             mime_type="image/jpeg", byte_size=len(data), width=320, height=240)
        _timed("Cassandra: recorded the image", lambda: images.create(record))
        found = _timed("Cassandra: read it back", lambda: images.get(run))
        print(f"    -> {found.status if found else 'missing'}")
        images.delete(run)  # the record, its listing row and its claim: no trace in listings
    finally:
        db.close()


def _search(run: str, settings: ElasticsearchSettings) -> None:
    index = SearchIndex(settings, "images")
    try:
        _timed("Elasticsearch: indexed 'Cafés at dawn'", lambda: index.bulk_index(
            [{"id": run, "title": "Cafés at dawn", "owner": OWNER}], refresh=True))
        hits = _timed("Elasticsearch: searched for 'cafe'", lambda: index.search(
            {"query": {"bool": {"must": {"match": {"title": "cafe"}}, "filter": {"term": {"id": run}}}}}))
        print(f"    -> {hits['hits']['total']['value']} hit(s)")
        index.delete(run)
    finally:
        index.close()


def _topics(settings: KafkaSettings) -> None:
    listed = _timed("Kafka: listed Darkroom's topics", lambda: kafka.admin(settings).list_topics(timeout=10))
    for topic in bootstrap.wanted_topics():
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
            later = " (on demand)" if variant.get("on_demand") else ""
            size = f"{variant['width']}x{variant['height']}"
            print(f"    {size} {variant['format']:<5} {variant['url']}{later}")
        if record["status"] == "ready":
            print(f"    transform: {_transform_url(api, headers, image_id)}")
    print(f"the page: {api}/photos (sign up, or sign in with the dev key of `./darkroom status --json`)")
    print(f"the API's docs: {api}/docs")
    return len(done) == len(started) and all(r["status"] == "ready" for r in done.values())


def _transform_url(api: str, headers: dict[str, str], image_id: str) -> str:
    """A signed transform URL the API mints (a smart 400 px square in WebP, watermarked)."""
    params: dict[str, str | int] = {"w": 400, "h": 400, "fit": "fill", "gravity": "smart",
                                    "format": "webp", "watermark": "text:Darkroom", "redirect": "false"}
    answer = httpx.get(f"{api}/v1/images/{image_id}/transform", params=params, headers=headers, timeout=30)
    return answer.json()["url"] if answer.status_code == 200 else f"refused: {answer.text}"

