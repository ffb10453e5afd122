"""One throwaway stack of the real engines per test session.

The engines start through testcontainers from the same definitions as
`./darkroom up` (deploy/local/devstack/engines.py), on random host ports, and
are removed when the session ends. Tests marked `integration` use it; the
DARKROOM_* settings of that stack are put into the environment, so every
connector's default settings point at it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import docker
import pytest
from devstack import bootstrap, docker_engine
from devstack.stack import Stack


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    return docker_engine.client()


@pytest.fixture(scope="session")
def stack(docker_client: docker.DockerClient) -> Iterator[Stack]:
    started = Stack.throwaway()
    try:
        addresses = started.start(docker_client)
        env = started.env(addresses)
        bootstrap.run(env)
        os.environ.update(env)
        yield started
    finally:
        started.stop(docker_client)


@pytest.fixture(scope="session")
def stack_env(stack: Stack) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("DARKROOM_")}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Integration tests need the stack even when they take no fixture from it.
    for item in items:
        if item.get_closest_marker("integration"):
            item.fixturenames.insert(0, "stack")
