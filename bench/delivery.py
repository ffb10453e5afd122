"""Cached delivery: a variant through the nginx cache against a direct MinIO
GET, side by side in one run. Prints requests/s and latency percentiles.

    eval "$(./darkroom env)"; .venv/bin/python bench/delivery.py [--seconds 10] [--clients 4]

Needs the stack of `./darkroom up`. Load goes to localhost only, bounded in time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import httpx

from connectors.minio import ObjectStore
from connectors.settings import MinioSettings, NginxSettings


def _hammer(url: str, seconds: float, clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        mine = []
        with httpx.Client(timeout=5) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = http.get(url)
                mine.append(time.perf_counter() - started)
                response.raise_for_status()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / seconds, latencies


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--size-kb", type=int, default=50)
    args = parser.parse_args()

    settings, cache = MinioSettings(), NginxSettings()
    variants = ObjectStore(settings).variants
    key = f"public/bench/{os.getpid()}.jpg"
    data = os.urandom(args.size_kb * 1024)
    variants.put_immutable(key, data, "image/jpeg")
    scheme = "https" if settings.secure else "http"
    direct = f"{scheme}://{settings.endpoint}/{variants.name}/{key}"
    cached = f"{cache.url}/{variants.name}/{key}"
    httpx.get(cached)  # warm the cache: we measure HITs

    print(f"{args.size_kb} KB object, {args.clients} clients, {args.seconds:.0f} s each (client in Python)")
    results = {}
    for name, url in (("nginx cache (HIT)", cached), ("MinIO direct", direct)):
        rate, latencies = _hammer(url, args.seconds, args.clients)
        results[name] = rate
        print(f"  {name:<18} {rate:8.0f} req/s   p50 {_pct(latencies, 50):6.2f} ms   "
              f"p99 {_pct(latencies, 99):6.2f} ms")
    print(f"  ratio cache/direct: {results['nginx cache (HIT)'] / results['MinIO direct']:.1f}x")
    variants.remove(key)


if __name__ == "__main__":
    main()
