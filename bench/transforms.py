"""Eager rungs and on-demand transforms, side by side in one run. Prints
figures and ratios; not a test.

    PYTHONPATH=. .venv/bin/python bench/transforms.py [--images 12] [--size 4000x3000] [--seconds 10]

1. Upload cost: CPU per image of what the resize stage renders at upload
   (the rungs up to 640 in JPEG and WebP, placeholder and colour:
   streams.resize.EAGER_RUNGS) against the whole ladder it rendered before
   (every rung to 2048), in this process on one core.
2. A transform on demand, a 2048 px WebP of a 12 MP original
   (`w:2048,h:2048,f:webp`: the ladder's top rung), through nginx: the
   first request (MISS: the render service renders it and stores it), a
   cold cache (MISS: the render service finds it stored) and a cached copy
   (HIT), p50/p99 over --images originals, one request at a time.
3. Cached transforms under load: wrk (Debian's; installed when missing and
   run as root) against one cached transform URL, --connections at once,
   to the nginx container's own address (no Docker userland proxy).

It starts a throwaway stack of its own (containers `darkroom-h12-bench-…`,
removed at the end) with the render service from the app image; `--env`
uses the stack of the DARKROOM_* variables instead (`./darkroom up`, which
runs the render service).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import time
from collections.abc import Iterator

import httpx

from bench.delivery import _container_url, _wrk
from bench.delivery import run as wrk_run
from bench.ladder import photo
from connectors.cassandra import Cassandra
from connectors.nginx import NEVER, DeliveryCache, UrlSigner, transform_path
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, DeliverySettings, MinioSettings, NginxSettings
from schemas import transforms
from streams import imaging
from streams.resize import EAGER_RUNGS
from tests.streams.stages import seed_upload

OPTIONS = "w:2048,h:2048,f:webp"


@contextlib.contextmanager
def stack(use_env: bool) -> Iterator[str]:
    """The nginx container's name, on a stack with the render service."""
    if use_env:
        yield "darkroom-nginx"
        return
    from devstack import bootstrap, docker_engine, engines
    from devstack.stack import SECRETS, Stack

    client = docker_engine.client()
    started = Stack(f"darkroom-h12-bench-{secrets.token_hex(3)}", persistent=False,
                    secrets={name: make() for name, make in SECRETS.items()})
    try:
        env = started.env(started.start(client))
        bootstrap.run(env)
        os.environ.update(env)
        render = started.start_services(client, started.addresses, (engines.RENDER,))["render"]
        try:
            engines.wait_ready(render, 180)
        except TimeoutError as exc:
            raise SystemExit(f"the render service is not ready: {exc}") from None
        yield started.container_name(engines.NGINX)
    finally:
        started.stop(client)


def cpu_ms(work, repeats: int) -> float:
    started = time.process_time()
    for _ in range(repeats):
        work()
    return 1000 * (time.process_time() - started) / repeats


def upload_cost(data: bytes, repeats: int) -> None:
    eager = imaging.LadderOptions(rungs=EAGER_RUNGS)
    whole = imaging.LadderOptions()
    for options in (eager, whole):  # warm: libvips' first calls load its codecs
        imaging.render_ladder(data, options)
    eager_ms = cpu_ms(lambda: imaging.render_ladder(data, eager), repeats)
    whole_ms = cpu_ms(lambda: imaging.render_ladder(data, whole), repeats)
    print(f"1. upload cost, CPU per image, one core ({repeats} runs each; JPEG + WebP):")
    print(f"  {'eager, rungs ' + ', '.join(map(str, EAGER_RUNGS)):<44} {eager_ms:8.0f} ms")
    print(f"  {'whole ladder, rungs ' + ', '.join(map(str, imaging.RUNGS)):<44} {whole_ms:8.0f} ms")
    print(f"  {'whole / eager':<44} {whole_ms / eager_ms:8.2f}x", flush=True)


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p99 {p99:7.1f} ms"


def _timed_get(http: httpx.Client, url: str, expect: str) -> float:
    started = time.perf_counter()
    answer = http.get(url)
    elapsed = 1000 * (time.perf_counter() - started)
    if answer.status_code != 200 or answer.headers.get("x-cache-status") != expect:
        raise SystemExit(f"{url}: {answer.status_code} {answer.headers.get('x-cache-status')} "
                         f"(expected 200 {expect}): {answer.text[:200]}")
    return elapsed


def on_demand(ids: list[str], nginx: str) -> str:
    signer = UrlSigner(DeliverySettings().signing_keys)
    cache = DeliveryCache(NginxSettings(), DeliverySettings().purge_token)
    bucket = MinioSettings().variants_bucket
    urls = [signer.sign_transform(nginx, transform_path(OPTIONS, "public/", i), NEVER) for i in ids]
    timings: dict[str, list[float]] = {"first request: render (MISS)": [], "cold cache: stored (MISS)": [],
                                       "cached (HIT)": []}
    with httpx.Client(timeout=120) as http:
        for image_id, url in zip(ids, urls, strict=True):
            timings["first request: render (MISS)"].append(_timed_get(http, url, "MISS"))
            for _ in range(5):
                timings["cached (HIT)"].append(_timed_get(http, url, "HIT"))
            cache.purge(f"/{bucket}/{transforms.key('public/', image_id, OPTIONS)}")
            timings["cold cache: stored (MISS)"].append(_timed_get(http, url, "MISS"))
    print(f"2. {OPTIONS} through nginx, one request at a time ({len(ids)} originals):")
    for name, values in timings.items():
        print(f"  {name:<32} {_percentiles(values)}")
    render = statistics.median(timings["first request: render (MISS)"])
    print(f"  render / cached (p50)            {render / statistics.median(timings['cached (HIT)']):7.0f}x",
          flush=True)
    return urls[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--size", default="4000x3000", help="originals, WxH (12 MP by default)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each ladder in part 1")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--env", action="store_true", help="use the stack of the DARKROOM_* variables")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    data = [photo(width, height, seed) for seed in range(args.images)]
    print(f"{width}x{height} JPEG originals (~{sum(map(len, data)) / len(data) / 1e6:.1f} MB), "
          f"{os.cpu_count()} cores", flush=True)
    upload_cost(data[0], args.repeats)
    wrk = _wrk()
    with stack(args.env) as nginx_container:
        db = Cassandra(CassandraSettings())
        images = ImageRepository(db)
        ids = [seed_upload(images, d, owner="bench-transforms", size=(width, height)).image_id for d in data]
        db.close()
        url = on_demand(ids, NginxSettings().url)
        direct = _container_url(url, nginx_container, 8080)
        result = wrk_run(wrk, direct, args.seconds, args.connections)
        print(f"3. one cached transform ({OPTIONS}), wrk {args.connections} connections, "
              f"{args.seconds:.0f} s, to the nginx container's address:")
        print(f"  {result['rps']:9.0f} req/s   p50 {result['p50']:6.2f} ms   p99 {result['p99']:6.2f} ms"
              + (f"   ({result['non_2xx']:.0f} non-2xx)" if result["non_2xx"] else ""))


if __name__ == "__main__":
    main()
