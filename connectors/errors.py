"""Which failures mean "an engine is away for now", decided once for every
engine. The API answers them 503; a stage retries them with backoff and
never moves past the record. Everything else is not an engine's fault.
"""

from __future__ import annotations

from elasticsearch import ApiError
from minio.error import S3Error

from connectors import cassandra, elasticsearch, kafka, minio, nginx

UNAVAILABLE: tuple[type[Exception], ...] = (
    cassandra.UNAVAILABLE + minio.UNAVAILABLE + elasticsearch.UNAVAILABLE + kafka.UNAVAILABLE
    + nginx.UNAVAILABLE + (TimeoutError, ConnectionError))

# Elasticsearch answers these while it is overloaded, recovering or electing a master.
_BUSY_STATUS = frozenset({429, 502, 503, 504})
# MinIO answers these while it starts, heals or is overloaded.
_BUSY_S3 = frozenset({"SlowDown", "ServiceUnavailable", "XMinioServerNotInitialized", "InternalError"})


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE):
        return True
    if isinstance(exc, ApiError):
        return exc.meta.status in _BUSY_STATUS
    return isinstance(exc, S3Error) and exc.code in _BUSY_S3
