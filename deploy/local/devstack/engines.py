"""The stack, defined once: each engine's image, ports, configuration, data
directory, memory and readiness check.

`./darkroom up` (long-lived, fixed host ports, named volumes) and the test
suite (throwaway, random host ports) both start these same definitions
through testcontainers, see stack.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TypeVar

from connectors import cassandra, elasticsearch, kafka, minio, nginx
from connectors.settings import (
    CassandraSettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
    NginxSettings,
)
from devstack import images
from streams.__main__ import STAGES

MINIO_USER = "darkroom"
T = TypeVar("T")


@dataclass(frozen=True)
class Engine:
    name: str  # also the container's alias on the stack's network
    image: images.Image
    port: int  # the container port the host dials
    default_host_port: int  # where `./darkroom up` publishes it
    data_dir: str
    mem_limit: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def host_port(self) -> int:
        return int(os.environ.get(f"DARKROOM_{self.name.upper()}_HOST_PORT", self.default_host_port))


# Heaps sized for one 2-core, 24 GiB machine that also runs the API, the
# workers and the tests: about 1.5 GB for the five engines at idle.
KAFKA = Engine("kafka", images.KAFKA, 9092, 19092, "/var/lib/kafka", "768m",
               {"KAFKA_HEAP_OPTS": "-Xms32m -Xmx256m"})
CASSANDRA = Engine("cassandra", images.CASSANDRA, 9042, 19042, "/var/lib/cassandra", "1280m",
                   {"CASSANDRA_HEAP": "-Xms128m -Xmx512m"})
# C1-only JIT halves Elasticsearch's start-up CPU (about 60 s instead of 110 s
# on this machine) at some cost to query speed: right for a local stack.
ELASTICSEARCH = Engine("elasticsearch", images.ELASTICSEARCH, 9200, 19200, "/var/lib/elasticsearch", "1280m",
                       {"ES_JAVA_OPTS": "-Xms384m -Xmx384m -XX:-AlwaysPreTouch -XX:TieredStopAtLevel=1"})
MINIO = Engine("minio", images.MINIO, 9000, 19000, "/data", "512m", {"MINIO_ROOT_USER": MINIO_USER})
NGINX = Engine("nginx", images.NGINX, 8080, 18080, "/var/cache/nginx-darkroom", "256m",
               {"MINIO_UPSTREAM": "minio:9000"})
ALL = (KAFKA, CASSANDRA, ELASTICSEARCH, MINIO, NGINX)


def address(engine: Engine, host_port: int) -> str:
    """What the host dials, in the form each client takes."""
    if engine in (ELASTICSEARCH, NGINX):
        return f"http://localhost:{host_port}"
    if engine is CASSANDRA:
        return f"127.0.0.1:{host_port}"
    return f"localhost:{host_port}"


@dataclass(frozen=True)
class Service:
    """A Darkroom process run from the app image, as deploy/k8s runs it."""

    name: str
    command: tuple[str, ...]
    port: int | None = None
    default_host_port: int | None = None


API = Service("api", ("api",), 8000, 18000)
SERVICES = (API, *(Service(f"worker-{stage}", ("worker", stage)) for stage in STAGES))


def client_env(addresses: dict[str, str], minio_secret: str, api_key: str) -> dict[str, str]:
    """The DARKROOM_* settings that point the connectors at a running stack."""
    cassandra_host, _, cassandra_port = addresses["cassandra"].rpartition(":")
    return {
        "DARKROOM_API_DEV_API_KEY": api_key,
        "DARKROOM_KAFKA_BOOTSTRAP": addresses["kafka"],
        "DARKROOM_CASSANDRA_HOST": cassandra_host,
        "DARKROOM_CASSANDRA_PORT": cassandra_port,
        "DARKROOM_ELASTICSEARCH_URL": addresses["elasticsearch"],
        "DARKROOM_MINIO_ENDPOINT": addresses["minio"],
        "DARKROOM_MINIO_ACCESS_KEY": MINIO_USER,
        "DARKROOM_MINIO_SECRET_KEY": minio_secret,
        "DARKROOM_NGINX_URL": addresses["nginx"],
    }


def inside_env(env: dict[str, str]) -> dict[str, str]:
    """The same settings for a container on the stack's network: engines by
    alias and container port. Delivery URLs stay the ones the host dials."""
    return {
        **env,
        "DARKROOM_KAFKA_BOOTSTRAP": f"{KAFKA.name}:9093",
        "DARKROOM_CASSANDRA_HOST": CASSANDRA.name,
        "DARKROOM_CASSANDRA_PORT": str(CASSANDRA.port),
        "DARKROOM_ELASTICSEARCH_URL": f"http://{ELASTICSEARCH.name}:{ELASTICSEARCH.port}",
        "DARKROOM_MINIO_ENDPOINT": f"{MINIO.name}:{MINIO.port}",
        "DARKROOM_NGINX_PURGE_URL": f"http://{NGINX.name}:{NGINX.port}",
    }


def settings_from_env(cls: type[T], env: dict[str, str]) -> T:
    """A connector's settings from an explicit DARKROOM_* mapping (not os.environ)."""
    prefix = cls.model_config["env_prefix"]
    return cls(**{k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix)})


def ready(engine: Engine, env: dict[str, str], timeout_s: float = 600) -> str:
    """Wait until the engine answers the host through its connector; return its version."""
    if engine is KAFKA:
        kafka.wait_ready(settings_from_env(KafkaSettings, env), timeout_s)
        return images.KAFKA.version  # the Kafka protocol does not tell the broker's version
    if engine is CASSANDRA:
        return cassandra.wait_ready(settings_from_env(CassandraSettings, env), timeout_s)
    if engine is ELASTICSEARCH:
        return elasticsearch.wait_ready(settings_from_env(ElasticsearchSettings, env), timeout_s)
    if engine is MINIO:
        minio.wait_ready(settings_from_env(MinioSettings, env), timeout_s)
        return images.MINIO.version
    return nginx.wait_ready(settings_from_env(NginxSettings, env), timeout_s)
