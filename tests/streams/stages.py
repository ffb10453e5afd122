"""What the stage tests share: a worker run as ops run it, records in, and
what the API would have left (reading the output is conftest's events_for)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ingest_api import ids

from connectors import kafka
from connectors.minio import ObjectStore
from connectors.records import ImageRecord, ImageRepository
from connectors.settings import KafkaSettings, MinioSettings
from schemas.events import Event, ImageUploaded
from schemas.topics import Topic

LOGS = Path(tempfile.gettempdir()) / "darkroom-test-workers"
DEADLINE_S = 180  # for a stage's output on a loaded 2-core machine


def start_worker(stage: str) -> subprocess.Popen:
    """`python -m streams <stage>` on the session's stack; its log goes to a
    file in LOGS, for `log_tail` to show when a test fails."""
    LOGS.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=LOGS, prefix=f"{stage}-", suffix=".log", delete=False) as log:
        process = subprocess.Popen([sys.executable, "-m", "streams", stage], env={**os.environ},
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log_path = log.name
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(30)


def log_tail(process: subprocess.Popen, chars: int = 3000) -> str:
    return Path(process.log_path).read_text(errors="replace")[-chars:]


def publish(*items: Event | tuple[Topic, bytes, bytes]) -> None:
    """Events to their own topics, or raw (topic, key, value) records."""
    producer = kafka.producer(KafkaSettings())
    for item in items:
        topic, key, value = item if isinstance(item, tuple) else (item.TOPIC, item.key(), item.value())
        producer.produce(topic.name, key=key, value=value)
    assert producer.flush(15) == 0


def seed_upload(images: ImageRepository, data: bytes | None, *, owner: str = "test",
                size: tuple[int, int] = (1, 1), keep_gps: bool = False) -> ImageUploaded:
    """What the API leaves before it publishes: the original stored (unless
    `data` is None: a lost original), the record written; and its event.
    The id is made as the API makes it, so the API's delete path takes it."""
    image_id = ids.new_id()
    digest = hashlib.sha256(data or b"").hexdigest()
    key = f"originals/{owner}/{digest}-{image_id}"
    if data is not None:
        ObjectStore(MinioSettings()).originals.put(key, data, "image/jpeg")
    facts = dict(owner=owner, sha256=digest, original_key=key, mime_type="image/jpeg",
                 byte_size=len(data or b""), width=size[0], height=size[1], keep_gps=keep_gps)
    images.create(ImageRecord(id=image_id, **facts))
    return ImageUploaded(image_id=image_id, **facts)
