"""Resumable uploads wired as `./darkroom up` wires them: the stack's own
tusd (its hooks at the API service's alias, `api`) and the API from the app
image. A file sent with creation-with-upload is committed, and the API
tells clients where tusd is. (tests/uploads covers the door in depth with
the API in the test process.)"""

import time

import httpx
import pytest
from devstack import engines

from tests.ingest_api import samples

pytestmark = pytest.mark.integration


def _answer(url: str, headers: dict[str, str], timeout_s: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            answer = httpx.get(url, headers=headers, timeout=5)
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"no answer from {url}"
        time.sleep(0.5)


def test_the_stacks_tusd_hands_finished_uploads_to_the_api_container(stack, docker_client):
    api = stack.start_services(docker_client, stack.addresses, (engines.API,))["api"]
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    tusd = stack.addresses[engines.TUS.name]
    info = _answer(f"{api}/v1/uploads/tus", headers).json()
    assert info["endpoint"] == f"{tusd}/files/"

    data = samples.noisy_jpeg((320, 240), seed=9011)
    created = httpx.post(info["endpoint"], content=data, timeout=60, headers={
        **headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
        "Content-Type": "application/offset+octet-stream"})
    assert created.status_code == 201, created.text
    upload_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    deadline = time.monotonic() + 60
    while (status := _answer(f"{api}/v1/uploads/tus/{upload_id}", headers).json())["status"] in (
            "uploading", "committing"):
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    assert status["status"] == "committed", status
    image = _answer(f"{api}/v1/images/{status['image_id']}", headers).json()
    assert (image["id"], image["byte_size"]) == (status["image_id"], len(data))
