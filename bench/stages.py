"""Each stage's own cost on the real engines: images per second per core,
one image at a time (a resize worker has one per pool process in work; the
CPU per image is the same). Prints figures; not a test.

    eval "$(./darkroom env)"; PYTHONPATH=. .venv/bin/python bench/stages.py [--images 24]

Needs the engines of `./darkroom up`. Each stage's `process` (the code its
worker runs for every record, reads and writes included) runs here, in this
process, over images seeded as the API leaves them: the original in MinIO and
the record in Cassandra, with no upload event, so the stack's own workers
never see them. The stages run in pipeline order, each fed the previous ones'
output; indexing takes the four events of each image. CPU is this process's
plus the resize pool's workers' (from /proc), so "per core" holds however
busy the machine is; wall-clock rates are shown beside it. The images are
deleted at the end in the API's order: objects, then the delete event (the
stack's indexing worker tombstones their documents), then the record.

Inputs: 12 MP photo-like JPEGs (bench/ladder.py's) with full EXIF + GPS, IPTC.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence

from bench.ladder import photo
from connectors.cassandra import Cassandra
from connectors.elasticsearch import SearchIndex
from connectors.kafka import EventBus
from connectors.minio import ObjectStore
from connectors.records import READY, ImageRepository
from connectors.settings import CassandraSettings, ElasticsearchSettings, KafkaSettings, MinioSettings
from schemas.events import Event, ImageDeleted, ImageUploaded
from streams import indexing, metadata, resize, tagging
from tests.streams.photos import app1, app13, full_exif, full_iptc, with_segments
from tests.streams.stages import seed_upload

OWNER = "bench-stages"
TICKS = os.sysconf("SC_CLK_TCK")
PUBLISH_TIMEOUT_S = 10.0  # how long the indexing stage's ImageReady may wait for Kafka


def inputs(count: int, width: int, height: int) -> list[bytes]:
    """`count` JPEGs from four distinct photos, each with EXIF, GPS and IPTC."""
    base = [photo(width, height, seed) for seed in range(min(count, 4))]
    return [with_segments(base[i % len(base)], app1(full_exif().tobytes()), app13(full_iptc()))
            for i in range(count)]


def cpu_of(pid: int) -> float:
    """User + system seconds of another process (a resize pool worker), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


async def measure(name: str, items: Sequence[Event], process: Callable[[Event], Awaitable[Event | None]],
                  images: int, pool_pids: Callable[[], Sequence[int]] = list) -> list[Event]:
    """Run `process` over `items` one by one, as the agent does; print the figures."""
    outputs: list[Event] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    before = {pid: cpu_of(pid) for pid in pool_pids()}
    for item in items:
        result = await process(item)
        if result is not None:
            outputs.append(result)
    wall = time.perf_counter() - wall0
    pool_cpu = sum(cpu_of(pid) - before.get(pid, 0.0) for pid in pool_pids())
    cpu = time.process_time() - cpu0 + pool_cpu
    print(f"  {name:9s} {images:4d} images  {wall:6.1f} s wall  {cpu:6.1f} s CPU  "
          f"{images / cpu:7.2f} images/s per core  {images / wall:7.2f} images/s wall  "
          f"{cpu / images * 1e3:7.1f} ms CPU per image", flush=True)
    return outputs


async def run(images: ImageRepository, bus: EventBus, uploaded: list[ImageUploaded]) -> None:
    n = len(uploaded)
    resize_deps = resize.make_deps()
    pool = resize_deps.pool
    try:
        # Start the pool's workers first: their start-up is not the stage's per-image cost.
        await asyncio.gather(*(asyncio.wrap_future(pool.submit(int)) for _ in range(pool._max_workers)))
        ladders = await measure("resize", uploaded, lambda e: resize.process(e, resize_deps), n,
                                pool_pids=lambda: list(pool._processes))
    finally:
        pool.shutdown()
    meta_deps = metadata.make_deps()
    facts = await measure("metadata", uploaded, lambda e: metadata.process(e, meta_deps), n)
    tag_deps = tagging.make_deps()
    tags = await measure("tagging", ladders, lambda e: tagging.process(e, tag_deps), n)

    async def publish(event: Event) -> None:
        await asyncio.to_thread(bus.publish, event)

    # Not indexing.make_deps(): its publish sends through the worker's running faust app.
    index_deps = indexing.Deps(index=SearchIndex(ElasticsearchSettings()), images=images, publish=publish)
    per_image = [e for group in zip(uploaded, ladders, facts, tags, strict=True) for e in group]
    try:
        await measure("indexing", per_image, lambda e: indexing.process(e, index_deps), n)
    finally:
        index_deps.index.close()
    ready = sum(images.get(e.image_id).status == READY for e in uploaded)
    print(f"  {ready} of {n} images ready")


def delete(images: ImageRepository, store: ObjectStore, bus: EventBus, image_id: str) -> None:
    """As the API deletes: objects first, record last (no cache purge: the
    bench never asks nginx for these variants)."""
    record = images.get(image_id)
    if record is None:
        return
    store.originals.remove(record.original_key)
    for variant in record.variants:
        store.variants.remove(variant.key)
    bus.publish(ImageDeleted(image_id=image_id, owner=record.owner))
    images.delete(image_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--size", default="4000x3000", help="photo size, WxH (12 MP by default)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    data = inputs(args.images, width, height)
    print(f"{args.images} x {width}x{height} JPEG (~{sum(map(len, data)) / len(data) / 1e6:.1f} MB) "
          f"with EXIF + GPS, IPTC; {os.cpu_count()} cores; one image at a time per stage")
    db, store = Cassandra(CassandraSettings()), ObjectStore(MinioSettings())
    images, bus = ImageRepository(db), EventBus(KafkaSettings(), PUBLISH_TIMEOUT_S)
    uploaded = [seed_upload(images, d, owner=OWNER, size=(width, height), keep_gps=True) for d in data]
    try:
        asyncio.run(run(images, bus, uploaded))
    finally:
        for event in uploaded:
            delete(images, store, bus, event.image_id)
        bus.close()
        db.close()


if __name__ == "__main__":
    main()
