"""What the ops tests share: a stage's worker started as ops run it, with
its HTTP endpoint on a port of its own, and records read back with their
headers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import httpx

from connectors import kafka
from connectors.settings import KafkaSettings

LOGS = Path(tempfile.gettempdir()) / "darkroom-test-workers"


def stack_env() -> dict[str, str]:
    """The session stack's DARKROOM_* settings (conftest put them in the environment)."""
    return {k: v for k, v in os.environ.items() if k.startswith("DARKROOM_")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    url: str  # its metrics and probes
    log: Path

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=5)

    def wait_ready(self, timeout_s: float = 180) -> None:
        """Until its consumer has its assignment (GET /readyz answers 200)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            try:
                if self.get("/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the worker was not ready in {timeout_s} s:\n{self.tail()}")

    def stop(self, timeout_s: float = 60) -> int:
        self.process.terminate()
        return self.process.wait(timeout_s)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def start_worker(stage: str, **env: str) -> Worker:
    LOGS.mkdir(exist_ok=True)
    port = free_port()
    settings = {**os.environ, "DARKROOM_WORKER_HTTP_PORT": str(port), "DARKROOM_CONTROL_INTERVAL_S": "1",
                **env}
    with tempfile.NamedTemporaryFile(dir=LOGS, prefix=f"{stage}-", suffix=".log", delete=False) as log:
        process = subprocess.Popen([sys.executable, "-m", "streams", stage], env=settings, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return Worker(process, f"http://127.0.0.1:{port}", Path(log.name))


@dataclass(frozen=True)
class Read:
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


def read(topic: str, keys: str | Collection[str], count: int = 1, timeout_s: float = 30) -> list[Read]:
    """Records of `topic` keyed by one of `keys`, from the start, in a fresh group."""
    wanted = {keys.encode()} if isinstance(keys, str) else {k.encode() for k in keys}
    consumer = kafka.consumer(KafkaSettings(), group=f"test-ops-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    found: list[Read] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(found) < count:
            message = consumer.poll(0.5)
            if message is None or message.error() or message.key() not in wanted:
                continue
            found.append(Read(message.key(), message.value() or b"", dict(message.headers() or [])))
    finally:
        consumer.close()
    return found
