"""Elasticsearch through the official client: index templates, aliases, and
the few document calls the stages and the API make.

This distribution has no `GET /`, so `ping()`/`info()` do not work against it:
readiness and version come from `_cluster/health` and `_nodes`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, BadRequestError, ConflictError, Elasticsearch, NotFoundError, helpers

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
        except (TransportConnectionError, ConnectionTimeout, ApiError) as exc:  # a busy node times out
            if time.monotonic() > deadline:
                raise TimeoutError(f"Elasticsearch at {settings.url}: {exc}") from exc
            time.sleep(0.5)


def alias(settings: ElasticsearchSettings, name: str) -> str:
    return f"{settings.index_prefix}-{name}"


def ensure_indices(settings: ElasticsearchSettings, templates: Path = TEMPLATES) -> list[str]:
    """Put each template in `templates` and make sure its alias points at the
    index of the template's `_version`. A new version rolls out by creating
    `-v<N>`, copying the documents of the older index into it and moving the
    alias in one atomic step (the old index stays, for a rollback). Returns
    the indices created."""
    es = client(settings)
    created = []
    for path in sorted(templates.glob("*.json")):
        spec = json.loads(path.read_text())
        name, version = path.stem, spec.pop("_version")
        pattern = f"{alias(settings, name)}-v*"
        es.indices.put_index_template(name=alias(settings, name), index_patterns=[pattern], **spec)
        index = f"{alias(settings, name)}-v{version}"
        try:
            current = list(es.indices.get_alias(name=alias(settings, name)))
        except NotFoundError:
            current = []
        if current == [index]:
            continue
        if not es.indices.exists(index=index):
            es.indices.create(index=index)
            created.append(index)
        for old in current:
            # Client-side copy: this distribution has no _reindex (and helpers.reindex
            # asks for data streams, which it has not either). Writes to the old index
            # during the copy are not carried over: roll out at bootstrap.
            helpers.bulk(es, ({"_index": index, "_id": hit["_id"], "_source": hit["_source"]}
                              for hit in helpers.scan(es, index=old)))
        es.indices.refresh(index=index)
        es.indices.update_aliases(actions=[
            *({"remove": {"index": old, "alias": alias(settings, name)}} for old in current),
            {"add": {"index": index, "alias": alias(settings, name), "is_write_index": True}},
        ])
    return created


# -- documents ---------------------------------------------------------------

class Conflict(Exception):
    """Someone else wrote the document since it was read: read it again."""


class Refused(Exception):
    """The index refuses the document (it does not fit the mapping): it never will take it."""


# What a caller may treat as "Elasticsearch is away for now" (retry, or answer 503).
UNAVAILABLE: tuple[type[Exception], ...] = (TransportConnectionError, ConnectionTimeout)


class SearchIndex:
    """One index, reached through its alias: the document calls the stages
    and the API make. Every method blocks; async callers use threads."""

    def __init__(self, settings: ElasticsearchSettings, name: str = "images") -> None:
        self._es = client(settings)
        self.alias = alias(settings, name)

    def get_versioned(self, doc_id: str) -> tuple[dict, tuple[int, int] | None]:
        """The document and its (seq_no, primary_term) for a conditional write;
        ({}, None) when there is none. Real-time: sees writes not yet refreshed."""
        try:
            found = self._es.get(index=self.alias, id=doc_id)
        except NotFoundError:
            return {}, None
        return found["_source"], (found["_seq_no"], found["_primary_term"])

    def get(self, doc_id: str) -> dict | None:
        return self.get_versioned(doc_id)[0] or None

    def put_versioned(self, doc_id: str, doc: dict, version: tuple[int, int] | None) -> None:
        """Write `doc` only if the stored one is still `version` (None: only if
        there is none); raises Conflict otherwise, Refused if it cannot fit."""
        try:
            if version is None:
                self._es.index(index=self.alias, id=doc_id, document=doc, op_type="create")
            else:
                self._es.index(index=self.alias, id=doc_id, document=doc, if_seq_no=version[0],
                               if_primary_term=version[1])
        except ConflictError as exc:
            raise Conflict(doc_id) from exc
        except BadRequestError as exc:
            raise Refused(str(exc)[:500]) from exc

    def delete(self, doc_id: str) -> bool:
        """Remove the document for good (a purge); False if there was none."""
        try:
            self._es.delete(index=self.alias, id=doc_id, refresh="wait_for")
        except NotFoundError:
            return False
        return True

    def search(self, body: dict) -> dict:
        return self._es.search(index=self.alias, **body).body

    def bulk_index(self, docs: list[dict], refresh: bool = False) -> int:
        """Index documents keyed by their `id`; returns how many were written."""
        ok, _ = helpers.bulk(self._es, ({"_index": self.alias, "_id": d["id"], "_source": d} for d in docs),
                             refresh="wait_for" if refresh else False, chunk_size=2000)
        return ok

    def refresh(self) -> None:
        self._es.indices.refresh(index=self.alias)

    def close(self) -> None:
        self._es.close()
