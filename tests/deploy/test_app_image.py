"""The darkroom image, as deploy/k8s runs it, answers its health checks
inside the stack's network."""

import time

import httpx
import pytest
from devstack import engines

pytestmark = pytest.mark.integration


def _wait_for(url: str, timeout_s: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_api_container_is_healthy_and_reaches_the_engines(stack, docker_client):
    base = stack.start_services(docker_client, stack.addresses, (engines.API,))["api"]
    assert _wait_for(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["engines"] == {
        "kafka": {"reachable": True}, "cassandra": {"reachable": True}, "minio": {"reachable": True}}

    # Docker's own health check, the one an orchestrator reads, agrees.
    container = docker_client.containers.get(f"{stack.prefix}-api")
    for _ in range(60):
        container.reload()
        if container.attrs["State"]["Health"]["Status"] == "healthy":
            break
        time.sleep(0.5)
    assert container.attrs["State"]["Health"]["Status"] == "healthy"
