"""Resumable uploads through tusd and the API's hooks, with unmodified tus
clients, on the real engines: resumed after a kill, the stored original is
the file, exactly once, announced once; a lost post-finish hook is completed
by the reconciler; termination and concatenation work."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from ingest_api import ingest

from schemas import topics
from tests.ingest_api.conftest import events_for
from tests.uploads import clients, photos
from tests.uploads.conftest import nothing_under, sha256, wait_for

pytestmark = pytest.mark.integration

MB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


def _status(api, user, upload_url: str) -> dict:
    upload_id = upload_url.rstrip("/").rsplit("/", 1)[-1]
    return httpx.get(f"{api.url}/v1/uploads/tus/{upload_id}", headers=user.headers, timeout=10).json()


def _committed(api, user, upload_url: str, timeout_s: float = 60) -> dict:
    return wait_for(lambda: (s := _status(api, user, upload_url))["status"] not in ("uploading", "committing")
                    and s, timeout_s)


def _only_image(api, user, data: bytes, image_id: str) -> None:
    """One image of the user: these bytes, stored once, announced once."""
    state = api.state
    records, _ = state.images.list_by_owner(user.name, None, 10)
    assert [r.id for r in records] == [image_id]
    assert records[0].sha256 == sha256(data) and records[0].byte_size == len(data)
    assert sha256(state.store.originals.get(records[0].original_key)) == sha256(data)
    assert len(events_for(topics.IMAGE_UPLOADED.name, image_id, count=2, timeout_s=8)) == 1


def _nothing_left(api, upload_url: str) -> bool:
    upload_id = upload_url.rstrip("/").rsplit("/", 1)[-1].partition("+")[0]
    return nothing_under(api.state.store, f"{ingest.RESUMABLE}{upload_id}")


def test_tusd_advertises_the_extensions_and_the_api_says_where(tusd, hook_api, user):
    options = httpx.options(f"{tusd}/files/", timeout=10)
    extensions = set(options.headers["Tus-Extension"].split(","))
    assert {"creation", "creation-with-upload", "termination", "concatenation"} <= extensions
    info = httpx.get(f"{hook_api.url}/v1/uploads/tus", headers=user.headers, timeout=10).json()
    assert info["endpoint"] == f"{tusd}/files/"


def test_tuspy_killed_mid_upload_resumes_and_stores_the_file_once(tusd, hook_api, user, tmp_path):
    data = photos.big_jpeg(30 * MB, seed=1)
    path, storage = photos.write(tmp_path / "big.jpg", data), tmp_path / "tuspy-urls.json"
    first = clients.run_until(clients.tuspy(f"{tusd}/files/", user.key, path, storage, 0.05, sha256(data)),
                              offset=8 * MB)
    assert first[0].startswith("start 0")
    again = clients.run_until(clients.tuspy(f"{tusd}/files/", user.key, path, storage, 0, sha256(data)))
    resumed_at = int(again[0].split()[1])
    assert 8 * MB <= resumed_at < 30 * MB, again[0]  # from the server's offset, not from the start
    url = again[-1].split()[1]
    status = _committed(hook_api, user, url)
    assert status["status"] == "committed" and not status["duplicate"], status
    _only_image(hook_api, user, data, status["image_id"])
    assert _nothing_left(hook_api, url)


def test_tus_js_client_killed_mid_upload_resumes_and_stores_the_file_once(tusd, hook_api, user, tmp_path):
    data = photos.big_jpeg(30 * MB, seed=2)
    path, storage = photos.write(tmp_path / "big.jpg", data), tmp_path / "tus-js-urls.json"
    clients.run_until(clients.tus_js(f"{tusd}/files/", user.key, path, storage, 0.1), offset=8 * MB)
    url = json.loads(storage.read_text())
    url = next(iter(url.values()))["uploadUrl"] if isinstance(url, dict) else url[0]["uploadUrl"]
    held = int(httpx.head(url, headers=TUS, timeout=10).headers["Upload-Offset"])
    assert 8 * MB <= held < 30 * MB
    again = clients.run_until(clients.tus_js(f"{tusd}/files/", user.key, path, storage, 0))
    assert again[0] == f"resume {url}" and again[-1] == f"done {url}"
    assert all(int(line.split()[1]) > held for line in again if line.startswith("offset "))
    status = _committed(hook_api, user, url)
    assert status["status"] == "committed", status
    _only_image(hook_api, user, data, status["image_id"])


def test_parallel_parts_are_concatenated_and_removed(tusd, hook_api, user, tmp_path):
    data = photos.big_jpeg(16 * MB, seed=3)
    path = photos.write(tmp_path / "parts.jpg", data)
    lines = clients.run_until(clients.tus_js(f"{tusd}/files/", user.key, path, tmp_path / "urls.json", 0,
                                             parallel=3))
    url = lines[-1].split()[1]
    status = _committed(hook_api, user, url)
    assert status["status"] == "committed", status
    _only_image(hook_api, user, data, status["image_id"])
    assert _nothing_left(hook_api, url)
    parts = hook_api.state.uploads.get(url.rsplit("/", 1)[-1].partition("+")[0]).parts
    assert len(parts) == 3
    for part in parts:
        assert nothing_under(hook_api.state.store, f"{ingest.RESUMABLE}{part}")
        assert hook_api.state.uploads.get(part).state == "committed"


def test_creation_with_upload_sends_the_bytes_with_the_post(tusd, hook_api, user):
    data = photos.big_jpeg(MB, seed=4)
    created = httpx.post(f"{tusd}/files/", content=data, timeout=30, headers={
        **TUS, **user.headers, "Upload-Length": str(len(data)),
        "Content-Type": "application/offset+octet-stream", "Upload-Metadata": "filetype aW1hZ2UvanBlZw=="})
    assert created.status_code == 201 and created.headers["Upload-Offset"] == str(len(data)), created.text
    status = _committed(hook_api, user, created.headers["Location"])
    assert status["status"] == "committed"
    _only_image(hook_api, user, data, status["image_id"])


def test_termination_removes_the_upload_and_only_its_owner_may(tusd, hook_api, user, tmp_path):
    from tests.uploads.conftest import new_user

    data = photos.big_jpeg(6 * MB, seed=5)
    created = httpx.post(f"{tusd}/files/", timeout=30, headers={**TUS, **user.headers,
                                                                "Upload-Length": str(len(data))})
    url = created.headers["Location"]
    sent = httpx.patch(url, content=data[:5 * MB + 10], timeout=30, headers={
        **TUS, **user.headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert sent.status_code == 204
    stranger = new_user(hook_api, "stranger")
    refused = httpx.delete(url, headers={**TUS, **stranger.headers}, timeout=10)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert httpx.delete(url, headers={**TUS, **user.headers}, timeout=10).status_code == 204
    assert httpx.head(url, headers=TUS, timeout=10).status_code == 404
    assert wait_for(lambda: _status(hook_api, user, url)["status"] == "terminated")
    assert _nothing_left(hook_api, url)


def test_a_lost_post_finish_hook_is_completed_by_the_reconciler(tusd, hook_api, user):
    data = photos.big_jpeg(3 * MB, seed=6)
    created = httpx.post(f"{tusd}/files/", timeout=30, headers={**TUS, **user.headers,
                                                                "Upload-Length": str(len(data))})
    url = created.headers["Location"]
    hook_api.stop()  # the API is away when the last byte arrives: tusd tries the hook 4 times, then drops it
    try:
        done = httpx.patch(url, content=data, timeout=60, headers={
            **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert done.status_code == 204
        time.sleep(5)  # tusd's retries (1 s apart) are all spent
    finally:
        hook_api.start()
    status = _committed(hook_api, user, url, timeout_s=60)
    assert status["status"] == "committed", status
    _only_image(hook_api, user, data, status["image_id"])
    # The hand-off is idempotent: the hook arriving late after all changes nothing.
    late = httpx.post(f"{hook_api.url}/v1/uploads/tus/hooks", timeout=30, json={
        "Type": "post-finish", "Event": {"Upload": {"ID": url.rsplit("/", 1)[-1], "Size": len(data)},
                                         "HTTPRequest": {"Header": {}}}})
    assert late.status_code == 200
    _only_image(hook_api, user, data, status["image_id"])
