"""Fixtures of the render tests: the render service from the app image on
the session's stack (nginx dials it as `render`), records and originals as
the API leaves them, and the API in process (tests/ingest_api's `client`)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from devstack import engines
from PIL import Image

from connectors.cassandra import Cassandra
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings
from tests.ingest_api.conftest import client  # noqa: F401 - the API's fixture, used here too


def jpeg(width: int, height: int, seed: int = 0) -> bytes:
    """A gradient photo; `seed` makes its bytes differ (uploads are deduplicated)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image.paste((seed * 37 % 256, 90, 160), (width // 3, height // 3, width // 3 + 40, height // 3 + 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="session")
def render(stack, docker_client) -> str:
    """The render service's own address, once it is ready."""
    base = stack.start_services(docker_client, stack.addresses, (engines.RENDER,))["render"]
    try:
        engines.wait_ready(base, 120)
    except TimeoutError as exc:
        logs = docker_client.containers.get(f"{stack.prefix}-render").logs(tail=40).decode()
        raise AssertionError(f"{exc}\n{logs}") from None
    return base


@pytest.fixture(scope="module")
def images(stack) -> Iterator[ImageRepository]:
    db = Cassandra(CassandraSettings())
    yield ImageRepository(db)
    db.close()
