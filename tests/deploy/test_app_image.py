"""The darkroom image, as deploy/k8s runs it, inside the stack's network:
the API answers its health checks, and each stage's worker joins its group."""

import time

import httpx
import pytest
from devstack import engines

from connectors import groups as kafka_groups
from connectors.settings import KafkaSettings

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


def test_every_stage_runs_from_the_image_and_joins_its_own_group(stack, docker_client):
    workers = tuple(s for s in engines.services() if s.command[0] == "worker")
    groups = {f"darkroom-{s.command[1]}" for s in workers}
    stack.start_services(docker_client, stack.addresses, workers)
    try:
        settings = KafkaSettings()
        deadline = time.monotonic() + 240
        while True:
            members = kafka_groups.members(settings, groups)
            if all(members.values()) or time.monotonic() > deadline:
                break
            time.sleep(1)
        logs = {s.name: docker_client.containers.get(f"{stack.prefix}-{s.name}").logs(tail=20).decode()
                for s in workers if not members[f"darkroom-{s.command[1]}"]}
        assert members == dict.fromkeys(groups, 1), logs
        for service in workers:  # no health check that can only fail (the image's asks the API)
            state = docker_client.containers.get(f"{stack.prefix}-{service.name}").attrs["State"]
            assert state["Running"] and "Health" not in state
    finally:  # the stage tests run their own workers in these groups
        for service in workers:
            docker_client.containers.get(f"{stack.prefix}-{service.name}").remove(force=True)
