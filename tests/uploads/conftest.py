"""Fixtures of the upload doors' tests, on the session's stack.

tusd's hooks must reach an API, and tusd runs in a container: the API here
is the real app served by uvicorn from the test process on a port of the
host (`hook_api`), and `tusd` is a container of the stack's tusd image (the
engine's own settings) whose hook URL points at that port through the
host's gateway (`host.docker.internal`). The API can be stopped and started
again on the same port, as an API that was away. The reconciler runs every
second here and takes a finished upload over after two (the defaults are 10
and 30 s).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from devstack import engines
from devstack.stack import STACK_LABEL, Stack, _joined
from ingest_api.main import create_app
from testcontainers.core.container import DockerContainer

from connectors.minio import ObjectStore
from connectors.settings import MinioSettings

FAST = {"DARKROOM_API_RECONCILE_INTERVAL_S": "1", "DARKROOM_API_HANDOFF_GRACE_S": "2",
        "DARKROOM_API_STALE_CLAIM_S": "5"}
PASSWORD = "uploads-are-resumable-9"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return int(s.getsockname()[1])


class ApiServer:
    """The app on 0.0.0.0:<port> in a thread of the test process; stop and start again at will."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        self.port, self.env = port, env
        self.url = f"http://127.0.0.1:{port}"
        self.app = create_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)  # read once, at the app's start
        try:
            self.app = create_app()
            config = uvicorn.Config(self.app, host="0.0.0.0", port=self.port, log_level="warning",
                                    lifespan="on")
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(target=self._server.run, name="hook-api", daemon=True)
            self._thread.start()
            deadline = time.monotonic() + 60
            while not self._server.started:
                assert time.monotonic() < deadline and self._thread.is_alive(), "the API did not start"
                time.sleep(0.05)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._server = self._thread = None

    @property
    def state(self):
        """What the running app made at its start (settings, store, images, uploads, ...)."""
        return self.app.state


@pytest.fixture(scope="session")
def hook_port() -> int:
    return _free_port()


@pytest.fixture(scope="session")
def hook_api(stack: Stack, tusd: str, hook_port: int) -> Iterator[ApiServer]:
    server = ApiServer(hook_port, {**FAST, "DARKROOM_TUS_URL": tusd})
    server.start()
    yield server
    with contextlib.suppress(AssertionError):
        server.stop()


@pytest.fixture(scope="session")
def tusd(stack: Stack, hook_port: int, docker_client) -> Iterator[str]:
    """tusd as the stack runs it, its hooks pointed at the port of `hook_api`; its URL (the
    endpoint is <url>/files/)."""
    engine = engines.TUS
    container = (
        DockerContainer(engine.image.tag)
        .with_name(f"{stack.prefix}-tus-hooks-{uuid.uuid4().hex[:4]}")
        .with_network(_joined(stack.network))
        .with_kwargs(labels={STACK_LABEL: stack.prefix}, extra_hosts={"host.docker.internal": "host-gateway"})
        .with_exposed_ports(engine.port)
    )
    env = {**engine.env, "TUSD_HOOKS_URL": f"http://host.docker.internal:{hook_port}/v1/uploads/tus/hooks"}
    for key, value in env.items():
        container.with_env(key, value)
    for key, secret in engine.secrets.items():
        container.with_env(key, stack.secrets[secret])
    container.start()
    url = f"http://localhost:{container.get_exposed_port(engine.port)}"
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.options(f"{url}/files/", timeout=2).headers.get("Tus-Version"):
                break
        assert time.monotonic() < deadline, "tusd did not start"
        time.sleep(0.2)
    yield url
    container.stop()


@dataclass
class User:
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def _settled(call) -> httpx.Response:
    """A setup call, tried again while an engine answers 503 (a loaded machine's Cassandra times out)."""
    for _ in range(10):
        response = call()
        if response.status_code != 503:
            return response
        time.sleep(1)
    return response


def new_user(api: ApiServer, prefix: str = "up") -> User:
    """A fresh user (so counts start at zero) with an upload+read key."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    with httpx.Client(base_url=api.url, timeout=30) as http:
        credentials = {"username": name, "password": PASSWORD}
        assert _settled(lambda: http.post("/v1/auth/signup", json=credentials)).status_code in (201, 409)
        login = _settled(lambda: http.post("/v1/auth/login", json=credentials))
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        made = _settled(lambda: http.post("/v1/keys", headers={"Authorization": f"Bearer {token}"},
                                          json={"name": "uploads", "scopes": ["upload", "read"]}))
        assert made.status_code == 201, made.text
        return User(name, made.json()["key"])


@pytest.fixture()
def user(hook_api: ApiServer) -> User:
    return new_user(hook_api)


@pytest.fixture(scope="session")
def store(stack: Stack) -> ObjectStore:
    return ObjectStore(MinioSettings())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def nothing_under(store: ObjectStore, prefix: str, timeout_s: float = 10) -> bool:
    """Every object under `prefix` is gone: an upload's sidecars and parts are removed just after
    its end is recorded, so give that a moment."""
    return bool(wait_for(lambda: store.originals.keys(prefix) == [], timeout_s))


def wait_for(check, timeout_s: float = 60, every_s: float = 0.2):
    """Poll `check` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every_s)
