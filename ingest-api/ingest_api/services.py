"""What the API talks to, made once per process at startup.

Settings are read here (from the environment, when the app starts), so
nothing is read at import. The Cassandra session and the Kafka producer
connect on first use: the API starts, and /healthz answers, while an engine
is still coming up; a request that needs it meanwhile gets a 503.
"""

from __future__ import annotations

import hmac
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from connectors import cassandra, elasticsearch, kafka, minio
from connectors.settings import (
    CassandraSettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
    NginxSettings,
)
from ingest_api import formats
from ingest_api.config import ApiSettings

if TYPE_CHECKING:  # the drivers' objects come from the connectors; only their types are named here
    from cassandra.cluster import Session
    from confluent_kafka import Producer
    from elasticsearch import Elasticsearch
    from minio import Minio

log = logging.getLogger(__name__)


class Services:
    def __init__(self, api: ApiSettings | None = None) -> None:
        self.api = api or ApiSettings()
        self.minio = MinioSettings()
        self.cassandra = CassandraSettings()
        self.kafka = KafkaSettings()
        self.nginx = NginxSettings()
        self.elasticsearch = ElasticsearchSettings()
        self.images_index = elasticsearch.alias(self.elasticsearch, "images")
        # The client connects per request, so making it here reaches no engine.
        self.es: Elasticsearch = elasticsearch.client(self.elasticsearch)
        self.store: Minio = minio.client(self.minio)
        # Viewers dial nginx, and S3 signatures cover the host: sign for nginx.
        self.signer: Minio = minio.presigner(self.minio, self.nginx.url)
        self.limits = formats.Limits(max_pixels=self.api.max_pixels, max_frames=self.api.max_frames)
        self._keys = list(self.api.users_by_key().items())
        # Staging threads wait on slow uploaders: their own pool, so they never
        # starve the pool every other request runs in.
        self.upload_pool = ThreadPoolExecutor(self.api.upload_threads, thread_name_prefix="upload")
        self._lock = threading.Lock()
        self._db: Session | None = None
        self._producer: Producer | None = None

    def user_for(self, key: str) -> str | None:
        """The user a bearer key belongs to; every key is compared in constant time."""
        user = None
        for candidate, name in self._keys:
            if hmac.compare_digest(candidate.encode(), key.encode()):
                user = name
        return user

    @property
    def db(self) -> Session:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    self._db = cassandra.connect(self.cassandra, self.cassandra.keyspace)
        return self._db

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            with self._lock:
                if self._producer is None:
                    timeout_ms = int(self.api.publish_timeout_s * 1000)
                    self._producer = kafka.producer(self.kafka, **{"delivery.timeout.ms": timeout_ms})
        return self._producer

    def close(self) -> None:
        self.upload_pool.shutdown(wait=True, cancel_futures=True)
        self.es.close()
        if self._producer is not None:
            self._producer.flush(self.api.publish_timeout_s)
            self._producer = None  # librdkafka stops its threads when the last reference goes
        if self._db is not None:
            self._db.cluster.shutdown()
            self._db = None
        log.info("services closed")
