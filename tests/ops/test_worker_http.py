"""A worker's endpoint for Kubernetes and Prometheus (streams/observability/worker.py),
and its graceful stop: on SIGTERM it finishes, commits and exits 0."""

from __future__ import annotations

import time

import pytest

from connectors import groups
from connectors.settings import KafkaSettings
from schemas import topics
from tests.ops.helpers import read, start_worker
from tests.streams.photos import photo
from tests.streams.stages import publish, seed_upload

pytestmark = pytest.mark.integration


def test_metrics_probes_and_a_stop_that_commits(images):
    worker = start_worker("metadata", DARKROOM_WORKER_LAG_INTERVAL_S="1")
    try:
        worker.wait_ready()
        assert worker.get("/healthz").json() == {"status": "ok"}
        event = seed_upload(images, photo())
        publish(event)
        assert read(topics.IMAGE_METADATA_EXTRACTED.name, event.image_id, timeout_s=90), worker.tail()
        lag = 'darkroom_stage_lag{partition="0",stage="metadata",topic="darkroom.image.uploaded"}'
        deadline = time.monotonic() + 20  # the lag is read every DARKROOM_WORKER_LAG_INTERVAL_S
        while lag not in (metrics := worker.get("/metrics").text) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert lag in metrics
        assert 'darkroom_stage_records_total{outcome="published",stage="metadata"}' in metrics
        assert 'darkroom_stage_processing_seconds_bucket{le="0.5",stage="metadata"}' in metrics
        assert 'darkroom_stage_in_flight{stage="metadata"}' in metrics
        partitions = [line for line in metrics.splitlines()
                      if line.startswith('darkroom_stage_assigned_partitions{stage="metadata"}')]
        assert partitions and float(partitions[0].split()[-1]) >= 1
    finally:
        code = worker.stop()
    assert code == 0, worker.tail()
    # What it processed is committed: its group has nothing left on that partition.
    offsets = groups.partition_offsets(KafkaSettings(), "darkroom-metadata", [topics.IMAGE_UPLOADED.name])
    assert sum(p.lag for p in offsets) == 0, offsets
