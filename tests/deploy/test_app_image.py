"""The darkroom image, as deploy/k8s runs it, answers its health checks
inside the stack's network."""

import time

import httpx
import pytest
from devstack import images
from devstack.stack import STACK_LABEL
from testcontainers.core.container import DockerContainer

pytestmark = pytest.mark.integration


def test_api_container_is_healthy_and_reaches_the_engines(stack, stack_env):
    # Inside the network the engines go by their aliases and container ports.
    inside = {
        "DARKROOM_KAFKA_BOOTSTRAP": "kafka:9093",
        "DARKROOM_CASSANDRA_HOST": "cassandra",
        "DARKROOM_CASSANDRA_PORT": "9042",
        "DARKROOM_MINIO_ENDPOINT": "minio:9000",
        "DARKROOM_MINIO_SECRET_KEY": stack_env["DARKROOM_MINIO_SECRET_KEY"],
    }
    container = (
        DockerContainer(images.APP.tag)
        .with_command("api")
        .with_exposed_ports(8000)
        .with_kwargs(network=stack.network, labels={STACK_LABEL: stack.prefix})
    )
    for key, value in inside.items():
        container.with_env(key, value)
    with container:
        base = f"http://localhost:{container.get_exposed_port(8000)}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(container.get_logs()) from None
                time.sleep(0.5)
        assert health.json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        assert ready.json()["engines"] == {
            "kafka": {"reachable": True}, "cassandra": {"reachable": True}, "minio": {"reachable": True}}
        # Docker's own health check, the one an orchestrator reads, agrees.
        wrapped = container.get_wrapped_container()
        for _ in range(60):
            wrapped.reload()
            if wrapped.attrs["State"]["Health"]["Status"] == "healthy":
                break
            time.sleep(0.5)
        assert wrapped.attrs["State"]["Health"]["Status"] == "healthy"
