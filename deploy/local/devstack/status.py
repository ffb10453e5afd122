"""`./darkroom status`: one entry per part, for people and scripts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
import httpx
from docker.errors import DockerException

from devstack import docker_engine, engines
from devstack.stack import Stack


def _docker() -> dict[str, object]:
    for host in docker_engine.candidate_hosts():
        try:
            client = docker.DockerClient(base_url=host, timeout=5)
            return {"healthy": True, "version": client.version()["Version"], "address": host}
        except DockerException:
            continue
    return {"healthy": False, "version": None, "address": docker_engine.candidate_hosts()[0]}


def _engine(engine: engines.Engine[Any], env: dict[str, str], address: str) -> dict[str, object]:
    try:
        version = engine.ready(env, timeout_s=2)
        return {"healthy": True, "version": version, "address": address}
    except Exception:  # noqa: BLE001 - any failure means "not healthy" here
        return {"healthy": False, "version": None, "address": address}


def collect() -> dict[str, dict[str, object]]:
    stack = Stack.local()
    addresses = stack.saved_addresses()
    env = stack.env(addresses)
    with ThreadPoolExecutor(len(engines.ALL)) as pool:
        futures = {e.name: pool.submit(_engine, e, env, addresses[e.name]) for e in engines.ALL}
        report = {name: f.result() for name, f in futures.items()}
    report["docker"] = _docker()
    report["api"] = _api(stack.saved_services().get("api", "http://localhost:18000"), stack.api_key)
    return report


def _api(address: str, api_key: str) -> dict[str, object]:
    try:
        response = httpx.get(f"{address}/openapi.json", timeout=2)
        version = response.json()["info"]["version"]
        healthy = httpx.get(f"{address}/healthz", timeout=2).status_code == 200
    except (httpx.HTTPError, ValueError, KeyError):
        healthy, version = False, None
    return {"healthy": healthy, "version": version, "address": address, "dev_api_key": api_key}
