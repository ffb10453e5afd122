"""Throughput of the resize stage against the number of its workers: the
same backlog of photos drained by 1, 2 and 4 workers (`python -m streams
resize`, each with one encoding process, as a Kubernetes pod of
deploy/k8s runs it), images/s for each. Prints figures; not a test.

    PYTHONPATH=. .venv/bin/python bench/scaling.py [--images 32] [--workers 1,2,4] [--size 3000x2000]

By default it starts a throwaway stack of its own (as the tests do) so that
no other worker takes part; `--env` uses the stack the DARKROOM_* variables
point at instead (`eval "$(./darkroom env)"`), which must run no resize
worker then (`docker stop darkroom-worker-resize`).

For each count: the workers start and join the group (each answers
/readyz, the group has them all), then the backlog is published at once and
the clock runs until the group has committed all of it. The photos are
seeded once (original in MinIO, record in Cassandra); each round publishes
their upload events again, and resize renders them again (its writes are
idempotent). Throughput rises with workers until the cores run out: on a
machine of N cores, more than N one-process workers only share them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx

from bench.ladder import photo
from connectors import groups, kafka
from connectors.cassandra import Cassandra
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, KafkaSettings
from schemas import topics
from schemas.events import ImageUploaded
from tests.streams.stages import seed_upload

STAGE_GROUP = "darkroom-resize"


@contextlib.contextmanager
def stack(use_env: bool) -> Iterator[None]:
    if use_env:
        yield
        return
    from devstack import bootstrap, docker_engine
    from devstack.stack import Stack

    client = docker_engine.client()
    started = Stack.throwaway()
    try:
        env = started.env(started.start(client))
        bootstrap.run(env)
        os.environ.update(env)
        yield
    finally:
        started.stop(client)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_workers(count: int) -> list[tuple[subprocess.Popen[bytes], str]]:
    workers = []
    for _ in range(count):
        port = free_port()
        env = {**os.environ, "DARKROOM_RESIZE_WORKERS": "1", "DARKROOM_WORKER_HTTP_PORT": str(port),
               "DARKROOM_LOG_LEVEL": "WARNING"}
        with tempfile.NamedTemporaryFile(prefix="darkroom-bench-resize-", suffix=".log", delete=False) as log:
            process = subprocess.Popen([sys.executable, "-m", "streams", "resize"], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        workers.append((process, f"http://127.0.0.1:{port}"))
    return workers


def wait_joined(workers: list[tuple[subprocess.Popen[bytes], str]], timeout_s: float = 300) -> None:
    """Every worker holds partitions and the group has them all: the rebalance is over."""
    settings, deadline = KafkaSettings(), time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready = 0
        for process, url in workers:
            if process.poll() is not None:
                raise SystemExit(f"a resize worker exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                ready += httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        if ready == len(workers) and groups.members(settings, [STAGE_GROUP])[STAGE_GROUP] == len(workers):
            return
        time.sleep(0.5)
    raise SystemExit(f"{len(workers)} resize workers did not join in {timeout_s:.0f} s")


def drain_seconds(events: list[ImageUploaded], timeout_s: float = 1800) -> float:
    settings = KafkaSettings()
    producer = kafka.producer(settings)
    started = time.monotonic()
    for event in events:
        producer.produce(event.TOPIC.name, key=event.key(), value=event.value())
    producer.flush(30)
    while time.monotonic() - started < timeout_s:
        offsets = groups.partition_offsets(settings, STAGE_GROUP, [topics.IMAGE_UPLOADED.name])
        lag = sum(p.lag for p in offsets)
        if lag == 0:
            return time.monotonic() - started
        time.sleep(0.25)
    raise SystemExit(f"the backlog did not drain in {timeout_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--size", default="3000x2000", help="photo size, WxH (6 MP by default)")
    parser.add_argument("--env", action="store_true", help="use the stack of the DARKROOM_* variables")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    counts = [int(n) for n in args.workers.split(",")]
    with stack(args.env):
        db = Cassandra(CassandraSettings())
        images = ImageRepository(db)
        data = [photo(width, height, seed) for seed in range(min(args.images, 8))]
        events = [seed_upload(images, data[i % len(data)], owner="bench-scaling", size=(width, height))
                  for i in range(args.images)]
        print(f"{args.images} x {width}x{height} JPEG (~{sum(map(len, data)) / len(data) / 1e6:.1f} MB), "
              f"{os.cpu_count()} cores, {KafkaSettings().partitions} partitions; one encoding process "
              "per worker", flush=True)
        baseline = None
        for count in counts:
            workers = start_workers(count)
            try:
                wait_joined(workers)
                elapsed = drain_seconds(events)
            finally:
                for process, _ in workers:
                    process.terminate()
                for process, _ in workers:
                    process.wait(60)
            rate = args.images / elapsed
            baseline = baseline or rate
            print(f"  {count} worker(s): {elapsed:6.1f} s  {rate:6.2f} images/s  x{rate / baseline:.2f}",
                  flush=True)
        db.close()


if __name__ == "__main__":
    main()
