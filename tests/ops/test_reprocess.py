"""`ops reprocess`: a stage's input rebuilt from the records, not from Kafka,
sent for that stage only, with ids a resumed run repeats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from devstack import ops
from devstack.ops_reprocess import reprocess

from connectors.records import PROCESSING
from schemas import headers, topics
from schemas.events import ImageUploaded
from streams.runner import derived_id
from tests.ops.helpers import read, stack_env
from tests.streams.photos import photo
from tests.streams.stages import seed_upload

pytestmark = pytest.mark.integration


def test_reprocessing_rebuilds_the_stages_input_from_the_records(images):
    env, run = stack_env(), f"test-{uuid.uuid4().hex[:8]}"
    since = datetime.now(UTC) - timedelta(seconds=1)
    kept, failed = seed_upload(images, photo()), seed_upload(images, photo(seed=1))
    images.set_failed(failed.image_id, "test", "a test")

    report = reprocess(env, "metadata", since=since, run=run, by="tests")
    assert report.sent[topics.IMAGE_UPLOADED.name] >= 1 and report.not_rebuilt == []
    assert report.skipped["failed (--retry-failed sends them too)"] >= 1
    [sent] = read(topics.IMAGE_UPLOADED.name, kept.image_id, timeout_s=30)
    event = ImageUploaded.model_validate_json(sent.value)
    assert event.model_dump(exclude={"event_id", "occurred_at"}) == kept.model_dump(
        exclude={"event_id", "occurred_at"})
    assert event.event_id == derived_id("reprocess", f"{run}/{topics.IMAGE_UPLOADED.name}", kept.image_id)
    assert sent.headers[headers.STAGE] == b"metadata" and sent.headers[headers.REPROCESS_RUN] == run.encode()
    assert read(topics.IMAGE_UPLOADED.name, failed.image_id, timeout_s=5) == []  # failed: left out

    again = reprocess(env, "metadata", since=since, run=run, retry_failed=True, by="tests")
    assert again.skipped["failed (--retry-failed sends them too)"] == 0
    assert images.get(failed.image_id).status == PROCESSING
    resent = [ImageUploaded.model_validate_json(r.value) for r in
              read(topics.IMAGE_UPLOADED.name, kept.image_id, count=2, timeout_s=30)]
    assert resent[0].event_id == resent[1].event_id  # a resumed run repeats its ids: consumers drop repeats


def test_what_the_records_do_not_hold_is_said_and_not_invented(images):
    env, since = stack_env(), datetime.now(UTC) - timedelta(seconds=1)
    seed_upload(images, photo())
    indexing = reprocess(env, "indexing", since=since, by="tests")
    assert indexing.not_rebuilt == [topics.IMAGE_TAGS_DETECTED.name] or \
        topics.IMAGE_TAGS_DETECTED.name in indexing.not_rebuilt
    tagging = reprocess(env, "tagging", since=since, by="tests")  # nothing was resized yet
    assert tagging.sent == {} and tagging.skipped[f"no {topics.IMAGE_VARIANTS_READY.name} facts yet"] >= 1
    with pytest.raises(ops.OpsError, match="--since TIME or --all"):
        reprocess(env, "tagging", since=None)
