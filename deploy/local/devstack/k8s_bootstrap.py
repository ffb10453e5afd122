"""The bootstrap as Kubernetes runs it, from the app image:

- `python -m devstack.k8s_bootstrap run` (the Job `darkroom-bootstrap`,
  `entrypoint.sh bootstrap`): waits until each engine answers, runs the same
  bootstrap as `./darkroom up` (devstack/bootstrap.py) on the environment,
  then records that this image's bootstrap is done.
- `python -m devstack.k8s_bootstrap wait` (every workload's init container,
  `entrypoint.sh wait-bootstrap`): waits until that record exists.

The record is keyed by a fingerprint of what the bootstrap creates (topics,
tables, index templates, buckets and the settings that name them), so a new
image that adds a topic waits for the Job of its own release, and an image
whose bootstrap changed nothing starts at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time

from connectors import cassandra, elasticsearch, kafka, minio
from connectors.cassandra import Cassandra
from connectors.operations import BootstrapRuns
from connectors.settings import CassandraSettings, ElasticsearchSettings, KafkaSettings, MinioSettings
from devstack import bootstrap
from devstack.settings_env import settings_from_env
from streams.observability import logs

log = logging.getLogger("darkroom.bootstrap")

ENGINE_WAIT_S = 900  # the engines of a fresh cluster can take minutes to come up
BOOTSTRAP_WAIT_S = float(os.environ.get("DARKROOM_BOOTSTRAP_WAIT_S", "1800"))


def fingerprint(env: dict[str, str]) -> str:
    """What the bootstrap of this code, with these settings, creates."""
    digest = hashlib.sha256()
    for topic in bootstrap.wanted_topics():
        digest.update(repr(topic).encode())
    digest.update(cassandra.SCHEMA.read_bytes())
    for path in sorted(elasticsearch.TEMPLATES.glob("*.json")):
        digest.update(path.read_bytes())
    kafka_settings = settings_from_env(KafkaSettings, env)
    db = settings_from_env(CassandraSettings, env)
    search = settings_from_env(ElasticsearchSettings, env)
    names = (kafka_settings.partitions, db.keyspace, db.replication_factor, search.index_prefix,
             env.get("DARKROOM_MINIO_ORIGINALS_BUCKET"), env.get("DARKROOM_MINIO_VARIANTS_BUCKET"))
    digest.update(repr(names).encode())
    return digest.hexdigest()[:24]


def run(env: dict[str, str]) -> None:
    log.info("waiting for the engines")
    kafka.wait_ready(settings_from_env(KafkaSettings, env), ENGINE_WAIT_S)
    cassandra.wait_ready(settings_from_env(CassandraSettings, env), ENGINE_WAIT_S)
    elasticsearch.wait_ready(settings_from_env(ElasticsearchSettings, env), ENGINE_WAIT_S)
    minio.wait_ready(settings_from_env(MinioSettings, env), ENGINE_WAIT_S)
    bootstrap.run(env)
    mark, db = fingerprint(env), Cassandra(settings_from_env(CassandraSettings, env))
    try:
        BootstrapRuns(db).mark(mark)
    finally:
        db.close()
    log.info("bootstrap %s done", mark)


def wait(env: dict[str, str], timeout_s: float = BOOTSTRAP_WAIT_S) -> bool:
    """True once the bootstrap of this image's fingerprint is recorded."""
    mark, db = fingerprint(env), Cassandra(settings_from_env(CassandraSettings, env))
    runs = BootstrapRuns(db)  # connects on first use, and again after a failed try
    deadline, said = time.monotonic() + timeout_s, 0.0
    try:
        while time.monotonic() < deadline:
            try:
                if runs.finished_at(mark) is not None:
                    log.info("bootstrap %s is done", mark)
                    return True
                why = "not recorded yet"
            except Exception as exc:  # noqa: BLE001 - no keyspace yet, Cassandra away: all mean "not yet"
                why = f"{type(exc).__name__}: {str(exc)[:200]}"
            if time.monotonic() - said > 30:
                log.info("waiting for the bootstrap Job (%s): %s", mark, why)
                said = time.monotonic()
            time.sleep(2)
    finally:
        db.close()
    log.error("the bootstrap %s was not done within %.0f s", mark, timeout_s)
    return False


def main() -> int:
    logs.configure("bootstrap")
    env = dict(os.environ)
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "run":
        run(env)
        return 0
    if command == "wait":
        return 0 if wait(env) else 1
    print("usage: python -m devstack.k8s_bootstrap run|wait", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
