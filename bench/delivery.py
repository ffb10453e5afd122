"""The delivery tier, side by side in one run, measured with wrk (a native
load tool: a Python client cannot keep nginx busy):

- MinIO direct (the origin), and the nginx cache answering a HIT for the
  same public variant: how much the cache buys;
- a cached private variant behind a signed URL against a cached public
  one: what verifying the signature at the edge (njs) costs;
- a hot URL of a deleted variant: nginx keeps a 404 a few seconds, so
  requests do not queue on the cache lock for an answer never stored;
- a public variant asked with changing query strings: the key is the path.

    eval "$(./darkroom env)"; .venv/bin/python bench/delivery.py [--seconds 10] [--connections 16]

Needs the stack of `./darkroom up` and Debian's wrk (installed when missing
and run as root). `--via address` dials the containers' own addresses on
the Docker network (no userland proxy in the way); `--via port` the ports
published on localhost. Load goes to this machine only, bounded in time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

from devstack import docker_engine

from connectors.minio import ObjectStore
from connectors.nginx import UrlSigner
from connectors.settings import DeliverySettings, MinioSettings, NginxSettings

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("bench/delivery.py needs wrk: apt-get install wrk")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk did not install")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def run(wrk: str, url: str, seconds: float, connections: int) -> dict[str, float]:
    threads = max(1, min(2, connections))
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
            "p50": _ms(latency["50"]), "p99": _ms(latency["99"]),
            "non_2xx": float(non_2xx[1]) if non_2xx else 0.0}


def _container_url(url: str, container: str, port: int) -> str:
    client = docker_engine.client()
    networks = client.containers.get(container).attrs["NetworkSettings"]["Networks"]
    address = next(iter(networks.values()))["IPAddress"]
    parts = urlsplit(url)
    return parts._replace(netloc=f"{address}:{port}").geturl()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--size-kb", type=int, default=91)
    parser.add_argument("--via", choices=("address", "port"), default="address")
    args = parser.parse_args()
    wrk = _wrk()

    settings, cache, delivery = MinioSettings(), NginxSettings(), DeliverySettings()
    variants = ObjectStore(settings).variants
    run_id = uuid.uuid4().hex[:12]
    data = os.urandom(args.size_kb * 1024)
    keys = {kind: f"{kind}/v/bench{run_id}/1x1-{kind}.jpg" for kind in ("public", "private")}
    for key in keys.values():
        variants.put_immutable(key, data, "image/jpeg")
    gone = f"public/v/bench{run_id}/1x1-gone.jpg"

    def via(url: str, container: str, port: int) -> str:
        return _container_url(url, container, port) if args.via == "address" else url

    scheme = "https" if settings.secure else "http"
    nginx_base = via(cache.url, "darkroom-nginx", 8080)
    path = {kind: f"/{variants.name}/{key}" for kind, key in keys.items()}
    urls = {
        "MinIO direct": via(f"{scheme}://{settings.endpoint}{path['public']}", "darkroom-minio", 9000),
        "nginx, public (HIT)": f"{nginx_base}{path['public']}",
        "nginx, private signed (HIT)": UrlSigner(delivery.signing_keys).sign(nginx_base, path["private"],
                                                                             3600),
        "nginx, deleted (404)": f"{nginx_base}/{variants.name}/{gone}",
        "nginx, public + query": f"{nginx_base}{path['public']}?cache-buster={run_id}",
    }
    for url in urls.values():  # warm: the cached ones are HITs from the first request on
        subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False)

    print(f"{args.size_kb} KB variant, wrk {args.connections} connections, {args.seconds:.0f} s each, "
          f"via the containers' {'addresses' if args.via == 'address' else 'published ports'}")
    results = {}
    for name, url in urls.items():
        results[name] = r = run(wrk, url, args.seconds, args.connections)
        flag = f"   ({r['non_2xx']:.0f} non-2xx)" if r["non_2xx"] and "404" not in name else ""
        print(f"  {name:<30} {r['rps']:9.0f} req/s   p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms{flag}")
    public = results["nginx, public (HIT)"]["rps"]
    ratios = {"cache / MinIO direct": results["MinIO direct"],
              "private signed / public, cached (the signature check)": results["nginx, private signed (HIT)"],
              "deleted (404) / public, cached": results["nginx, deleted (404)"]}
    for label, other in ratios.items():
        ratio = public / other["rps"] if label.startswith("cache") else other["rps"] / public
        print(f"  {label:<55} {ratio:6.2f}x req/s")
    for key in keys.values():
        variants.remove(key)


if __name__ == "__main__":
    main()
