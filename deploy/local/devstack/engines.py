"""The stack, defined once: each engine's image, ports, configuration, data
directory, memory, and how the host reaches it and asks whether it is ready.

`./darkroom up` (long-lived, fixed host ports, named volumes) and the test
suite (throwaway, random host ports) both start these same definitions
through testcontainers, see stack.py. Adding an engine is one
`declare(Engine(...))` below (with its image in images.py and its connector
in connectors/): nothing else lists the engines or names one of them.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic_settings import BaseSettings

from connectors import cassandra, elasticsearch, kafka, minio, nginx, tus
from connectors.settings import (
    CassandraSettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
    NginxSettings,
    TusSettings,
)
from devstack import images
from devstack.settings_env import settings_from_env  # re-exported: engines.settings_from_env
from streams import registry

MINIO_USER = "darkroom"
S = TypeVar("S", bound=BaseSettings)


@dataclass(frozen=True)
class HostAddress:
    """How an engine that advertises its own address (Kafka) learns the one
    the host dials: from the variable `env` when the host port is known
    before the start (fixed ports), else from the file `path` once the
    container runs (random ports); the engine waits for it."""

    env: str
    path: str


def _host_and_port(address: str) -> dict[str, str]:
    host, _, port = address.rpartition(":")
    return {"host": host, "port": port}


@dataclass(frozen=True)
class Engine(Generic[S]):
    name: str  # also the container's alias on the stack's network
    image: images.Image
    port: int  # the container port the host dials
    default_host_port: int  # where `./darkroom up` publishes it
    data_dir: str
    mem_limit: str
    settings: type[S]  # the connector settings an address of this engine goes into
    points_at: Callable[[str], dict[str, str]]  # those settings' fields for an address
    # The connector's readiness wait: returns the version, or None where the
    # protocol does not tell it (then it is the version the image is built from).
    probe: Callable[[S, float], str | None]
    env: dict[str, str] = field(default_factory=dict)
    scheme: str = ""  # "http://" where the client takes a URL
    host: str = "localhost"
    inside_port: int | None = None  # what containers on the stack's network dial, when not `port`
    # The fields set for containers on the stack's network, when not `points_at`'s.
    inside_points_at: Callable[[str], dict[str, str]] | None = None
    # The stack's secrets (devstack.stack.SECRETS) the container reads: its variable -> the secret's.
    secrets: dict[str, str] = field(default_factory=dict)
    host_address: HostAddress | None = None

    @property
    def host_port(self) -> int:
        return int(os.environ.get(f"DARKROOM_{self.name.upper()}_HOST_PORT", self.default_host_port))

    def address(self, host_port: int) -> str:
        """What the host dials, in the form the engine's client takes."""
        return f"{self.scheme}{self.host}:{host_port}"

    def inside_address(self) -> str:
        """What a container on the stack's network dials: the alias."""
        return f"{self.scheme}{self.name}:{self.inside_port or self.port}"

    def settings_env(self, fields: dict[str, str]) -> dict[str, str]:
        """Settings fields as the DARKROOM_* variables that set them."""
        prefix = self.settings.model_config["env_prefix"]
        return {f"{prefix}{name.upper()}": value for name, value in fields.items()}

    def ready(self, env: dict[str, str], timeout_s: float = 600) -> str:
        """Wait until the engine answers the host through its connector; return its version."""
        return self.probe(settings_from_env(self.settings, env), timeout_s) or self.image.version


ALL: list[Engine[Any]] = []  # every engine, in declaration order (declare() fills it)


def declare(engine: Engine[S]) -> Engine[S]:
    if any(known.name == engine.name for known in ALL):
        raise ValueError(f"engine {engine.name} is declared twice")
    ALL.append(engine)
    return engine


# Heaps sized for one 2-core, 24 GiB machine that also runs the API, the
# workers and the tests: about 1.5 GB for the five engines at idle.
KAFKA = declare(Engine(
    "kafka", images.KAFKA, 9092, 19092, "/var/lib/kafka", "768m",
    KafkaSettings, lambda address: {"bootstrap": address}, kafka.wait_ready,  # the protocol has no version
    {"KAFKA_HEAP_OPTS": "-Xms32m -Xmx256m"},
    inside_port=9093,  # the listener Kafka advertises to the stack's network
    host_address=HostAddress("KAFKA_HOST_ADDRESS", "/run/kafka/host-address")))
CASSANDRA = declare(Engine(
    "cassandra", images.CASSANDRA, 9042, 19042, "/var/lib/cassandra", "1280m",
    CassandraSettings, _host_and_port, cassandra.wait_ready,
    {"CASSANDRA_HEAP": "-Xms128m -Xmx512m"},
    host="127.0.0.1"))
# C1-only JIT halves Elasticsearch's start-up CPU (about 60 s instead of 110 s
# on this machine) at some cost to query speed: right for a local stack.
ELASTICSEARCH = declare(Engine(
    "elasticsearch", images.ELASTICSEARCH, 9200, 19200, "/var/lib/elasticsearch", "1280m",
    ElasticsearchSettings, lambda address: {"url": address}, elasticsearch.wait_ready,
    {"ES_JAVA_OPTS": "-Xms384m -Xmx384m -XX:-AlwaysPreTouch -XX:TieredStopAtLevel=1"},
    scheme="http://"))
MINIO = declare(Engine(
    "minio", images.MINIO, 9000, 19000, "/data", "512m",
    MinioSettings, lambda address: {"endpoint": address, "access_key": MINIO_USER},
    minio.wait_ready,  # the health page has no version
    {"MINIO_ROOT_USER": MINIO_USER},
    secrets={"MINIO_ROOT_PASSWORD": "DARKROOM_MINIO_SECRET_KEY"}))
NGINX = declare(Engine(
    "nginx", images.NGINX, 8080, 18080, "/var/cache/nginx-darkroom", "256m",
    NginxSettings, lambda address: {"url": address}, nginx.wait_ready,
    {"MINIO_UPSTREAM": f"{MINIO.name}:{MINIO.port}",
     # Its cache keys of transforms are their stored objects' paths (schemas/transforms.py).
     "VARIANTS_BUCKET": MinioSettings.model_fields["variants_bucket"].default},
    scheme="http://",
    # Delivery URLs stay the ones viewers dial; containers purge through the alias.
    inside_points_at=lambda address: {"purge_url": address},
    # It verifies signed URLs, checks purges and proves itself to MinIO with these.
    secrets={name: name for name in ("DARKROOM_DELIVERY_SIGNING_KEYS", "DARKROOM_DELIVERY_PURGE_TOKEN",
                                     "DARKROOM_DELIVERY_ORIGIN_SECRET")}))


# Resumable uploads (tus 1.0). tusd writes into MinIO's originals bucket under
# the prefix the API expires (ingest_api.ingest.RESUMABLE) and asks the API's
# hooks, at the API service's alias, about every upload. One instance: its
# locks are per process.
TUS = declare(Engine(
    "tus", images.TUSD, 8080, 18070, "/var/lib/tusd", "256m",
    TusSettings, lambda address: {"url": address}, tus.wait_ready,
    {"TUSD_S3_ENDPOINT": f"http://{MINIO.name}:{MINIO.port}", "TUSD_S3_BUCKET": "darkroom-originals",
     "TUSD_S3_OBJECT_PREFIX": "staging/tus/", "AWS_ACCESS_KEY_ID": MINIO_USER,
     "TUSD_HOOKS_URL": "http://api:8000/v1/uploads/tus/hooks"},
    scheme="http://",
    # Clients dial the host's address, and the API tells them that one: containers keep it.
    inside_points_at=lambda address: {},
    secrets={"AWS_SECRET_ACCESS_KEY": "DARKROOM_MINIO_SECRET_KEY"}))


def images_to_build(app: bool) -> tuple[images.Image, ...]:
    """Every engine's image, and the app image's when `app`."""
    return (*(engine.image for engine in ALL), *((images.APP,) if app else ()))


@dataclass(frozen=True)
class Service:
    """A Darkroom process run from the app image, as deploy/k8s runs it."""

    name: str
    command: tuple[str, ...]
    port: int | None = None
    default_host_port: int | None = None


API = Service("api", ("api",), 8000, 18000)
# Answers nginx's misses of transform URLs; nginx dials it by this name (RENDER_UPSTREAM,
# render:8000: in its own container it listens where the image's health check asks).
RENDER = Service("render", ("render",), 8000, 18001)


def wait_ready(base_url: str, timeout_s: float = 120) -> float:
    """Seconds until a Darkroom service at `base_url` answers GET /readyz with
    200; TimeoutError after `timeout_s` (the caller adds what explains it)."""
    started = time.monotonic()
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{base_url}/readyz did not answer 200 in {timeout_s:.0f} s")
        time.sleep(0.5)


def services() -> tuple[Service, ...]:
    """The API, the render service and one worker per stage, the stages as streams/ declares them."""
    return (API, RENDER,
            *(Service(f"worker-{stage}", ("worker", stage)) for stage in sorted(registry.discover())))


def client_env(addresses: dict[str, str], secrets: dict[str, str]) -> dict[str, str]:
    """The DARKROOM_* settings that point the connectors at a running stack,
    with the stack's secrets."""
    env = dict(secrets)
    for engine in ALL:
        env.update(engine.settings_env(engine.points_at(addresses[engine.name])))
    return env


def inside_env(env: dict[str, str]) -> dict[str, str]:
    """The same settings for a container on the stack's network: engines by
    alias and container port."""
    inside = dict(env)
    for engine in ALL:
        points_at = engine.inside_points_at or engine.points_at
        inside.update(engine.settings_env(points_at(engine.inside_address())))
    return inside
