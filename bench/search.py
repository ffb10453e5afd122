"""Search latency at 10,000 and 100,000 indexed images: p50/p99 of the
queries /v1/search makes (full text, filters, geo, facets, a second page),
straight against Elasticsearch. Prints figures and the ratio between sizes.

    eval "$(./darkroom env)"; .venv/bin/python bench/search.py [--sizes 10000,100000] [--queries 200]

Synthetic documents are bulk-loaded through the connector into a separate
alias (`<prefix>-bench-images-v<N>` from the real template), so the real
index is untouched; the bench removes its index at the end.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from ingest_api import search
from ingest_api.search import SearchQuery

from connectors import elasticsearch
from connectors.elasticsearch import SearchIndex
from connectors.settings import ElasticsearchSettings
from streams import documents

WORDS = ("sunset", "beach", "mountain", "river", "forest", "city", "street", "market", "cafe",
         "harbour", "bridge", "fog", "snow", "garden", "portrait", "dog", "cat", "bird", "flower",
         "night", "lights", "train", "bicycle", "festival", "dance", "running", "coffee")
CAMERAS = [("Canon", "Canon EOS R5"), ("NIKON", "Z 6"), ("FUJIFILM", "X100V"), ("SONY", "ILCE-7M3")]
OWNERS = [f"user{i}" for i in range(200)]


def synthetic(rng: random.Random) -> dict:
    image_id = uuid.UUID(int=rng.getrandbits(128)).hex
    created = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))
    tags = rng.sample(WORDS, 3)
    make, model = rng.choice(CAMERAS)
    at = {s: created.isoformat() for s in ("uploaded", "user", "variants", "metadata", "tags")}
    doc = {
        "id": image_id, "owner": rng.choice(OWNERS), "visibility": rng.choices(
            ["public", "unlisted", "private"], [8, 1, 1])[0],
        "title": " ".join(rng.sample(WORDS, 4)).capitalize(),
        "description": " ".join(rng.sample(WORDS, 10)), "tags": tags,
        "model_tags": [{"tag": t, "confidence": 0.8, "source": "model"} for t in rng.sample(WORDS, 2)],
        "created_at": created.isoformat(),
        "taken_at": (created - timedelta(days=rng.randrange(400))).isoformat(),
        "camera": documents.camera_name(make, model), "camera_make": make, "camera_model": model,
        "width": 4000, "height": 3000, "orientation": "landscape", "format": "jpeg",
        "mime_type": "image/jpeg",
        "location": {"lat": rng.uniform(36, 44), "lon": rng.uniform(-9.5, 3)} if rng.random() < 0.3 else None,
        "variants": [{"width": w, "height": w * 3 // 4, "format": "jpeg",
                      "key": f"public/v/{image_id}/{w}.jpg", "byte_size": w * 40}
                     for w in (150, 320, 640, 1280)],
        "placeholder": "PH", "dominant_color": "#808080", "at": at,
    }
    doc["date"] = doc["taken_at"]
    doc["all_tags"] = sorted({*tags, *(t["tag"] for t in doc["model_tags"])})
    return {k: v for k, v in doc.items() if v is not None}


def queries(rng: random.Random) -> list[tuple[str, SearchQuery, str | None]]:
    return [
        ("text", SearchQuery(q=f"{rng.choice(WORDS)}s"), None),
        ("text+tag", SearchQuery(q=rng.choice(WORDS), tags=(rng.choice(WORDS),)), None),
        ("newest", SearchQuery(sort="newest"), None),
        ("camera+dates", SearchQuery(camera="canon eos r5", date_from=date(2021, 1, 1),
                                     date_to=date(2022, 12, 31), sort="newest"), None),
        ("geo", SearchQuery(near=(40.4, -3.7), within_km=200, sort="newest"), None),
        ("as-owner", SearchQuery(q=rng.choice(WORDS)), rng.choice(OWNERS)),
    ]


def measure(index: SearchIndex, rng: random.Random, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, query, viewer in queries(rng):
            started = time.perf_counter()
            found = index.search(search.search_body(query, viewer, None))
            times.setdefault(name, []).append(time.perf_counter() - started)
            hits = found["hits"]["hits"]
            if len(hits) > query.limit:  # the next page through its cursor, as a client would
                cursor = search.encode_cursor(query, hits[query.limit - 1]["sort"])
                after = search.decode_cursor(query, cursor)
                started = time.perf_counter()
                index.search(search.search_body(query, viewer, after))
                times.setdefault("page-2", []).append(time.perf_counter() - started)
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200, help="rounds of the query mix per size")
    args = parser.parse_args()
    settings = ElasticsearchSettings()
    bench = ElasticsearchSettings(index_prefix=f"{settings.index_prefix}-bench", request_timeout_s=120)
    elasticsearch.ensure_indices(bench)
    index = SearchIndex(bench)
    rng = random.Random(7)
    loaded, overall = 0, {}
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            started = time.perf_counter()
            while loaded < size:
                batch = [synthetic(rng) for _ in range(min(5000, size - loaded))]
                loaded += index.bulk_index(batch)
            index.refresh()
            load_s = time.perf_counter() - started
            measure(index, rng, 5)  # warm caches and the JIT
            times = measure(index, rng, args.queries)
            every = [t for ts in times.values() for t in ts]
            overall[size] = (pct(every, 0.5), pct(every, 0.99))
            print(f"\n{size:,} images (loaded in {load_s:.1f} s)")
            print(f"  {'query':<14}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
            for name, ts in times.items():
                print(f"  {name:<14}{len(ts):>6}{pct(ts, .5):>9.1f}{pct(ts, .99):>9.1f}"
                      f"{statistics.fmean(ts) * 1000:>9.1f}")
            print(f"  {'all':<14}{len(every):>6}{overall[size][0]:>9.1f}{overall[size][1]:>9.1f}")
        if len(overall) > 1:
            (small, (p50a, p99a)), (large, (p50b, p99b)) = list(overall.items())[0], list(overall.items())[-1]
            print(f"\n{large:,} vs {small:,}: p50 x{p50b / p50a:.2f}, p99 x{p99b / p99a:.2f}")
    finally:
        index.close()
        # The bench's own index and template: index administration, which no
        # SearchIndex does, so through the raw client.
        es = elasticsearch.client(bench)
        for name in es.indices.get_alias(name=index.alias):
            es.indices.delete(index=name)
        es.indices.delete_index_template(name=index.alias)
        es.close()


if __name__ == "__main__":
    main()
