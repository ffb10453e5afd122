"""Elasticsearch through the official client: index templates and aliases.

This distribution has no `GET /`, so `ping()`/`info()` do not work against it:
readiness and version come from `_cluster/health` and `_nodes`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from connectors.settings import ElasticsearchSettings

TEMPLATES = Path(__file__).with_name("elasticsearch_templates")


def client(settings: ElasticsearchSettings) -> Elasticsearch:
    return Elasticsearch(settings.url, request_timeout=settings.request_timeout_s)


def wait_ready(settings: ElasticsearchSettings, timeout_s: float = 120) -> str:
    """Wait for a yellow cluster; return the node's version."""
    es = client(settings)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            es.cluster.health(wait_for_status="yellow", timeout="5s")
            nodes = es.nodes.info(node_id="_local", metric="_none")
            return next(iter(nodes["nodes"].values()))["version"]
        except (TransportConnectionError, ApiError) as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Elasticsearch at {settings.url}: {exc}") from exc
            time.sleep(0.5)


def alias(settings: ElasticsearchSettings, name: str) -> str:
    return f"{settings.index_prefix}-{name}"


def ensure_indices(settings: ElasticsearchSettings) -> list[str]:
    """Put each template in elasticsearch_templates/ and make sure its alias
    points at a versioned index, so a mapping change rolls out by reindexing
    into `-v<N+1>` and moving the alias. Returns the indices created."""
    es = client(settings)
    created = []
    for path in sorted(TEMPLATES.glob("*.json")):
        spec = json.loads(path.read_text())
        name, version = path.stem, spec.pop("_version")
        pattern = f"{alias(settings, name)}-v*"
        es.indices.put_index_template(name=alias(settings, name), index_patterns=[pattern], **spec)
        try:
            es.indices.get_alias(name=alias(settings, name))
        except NotFoundError:
            index = f"{alias(settings, name)}-v{version}"
            es.indices.create(index=index, aliases={alias(settings, name): {"is_write_index": True}})
            created.append(index)
    return created
