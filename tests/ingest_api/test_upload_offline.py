"""Uploads refused before any engine but MinIO is involved, against an
in-memory MinIO fake: the right code, and nothing left in the store."""

from __future__ import annotations

import pytest

from tests.ingest_api import samples
from tests.ingest_api.conftest import DEV_KEY, bearer


@pytest.mark.parametrize(("filename", "data", "status", "code"), [
    ("empty.jpg", b"", 400, "empty_file"),
    ("notes.jpg", b"just some text, not an image at all\n" * 100, 415, "unsupported_format"),
    ("bomb.png", samples.png_header_only(100_000, 100_000), 422, "too_many_pixels"),
    ("wide.gif", samples.gif_header_only(12_000, 10_000), 422, "too_many_pixels"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x0dIHDR" + b"no header here" * 9, 422, "corrupt_image"),
], ids=["empty", "text", "png-bomb", "gif-bomb", "corrupt"])
def test_bad_files_are_refused_and_leave_nothing(offline_client, filename, data, status, code):
    client, store = offline_client
    response = client.post("/v1/images", headers=bearer(DEV_KEY), files={"file": (filename, data)})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert store.objects == {}


def test_over_the_byte_limit_is_413(offline_client):
    client, store = offline_client
    client.app.state.settings.max_file_bytes = 10_000
    data = samples.noisy_jpeg((400, 300))
    assert len(data) > 10_000
    response = client.post("/v1/images", headers=bearer(DEV_KEY), files={"file": ("a.jpg", data)})
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_large")
    assert store.objects == {}


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"content": b"{}", "headers": {"Content-Type": "application/json"}}, 415, "not_multipart"),
    ({"files": {"picture": ("a.png", samples.encoded("PNG"))}}, 400, "unexpected_field"),
    ({"data": {"title": "no file"}, "files": {"other": ("", b"")}}, 400, "unexpected_field"),
    ({"files": [("file", ("a.png", samples.encoded("PNG"))),
                ("file", ("b.png", samples.encoded("PNG")))]}, 400, "unexpected_field"),
    ({"data": {"visibility": "secret"}, "files": {"file": ("a.png", samples.encoded("PNG"))}},
     422, "invalid_field"),
], ids=["json", "wrong-field", "no-file", "two-files", "bad-visibility"])
def test_malformed_requests_are_refused_and_leave_nothing(offline_client, kwargs, status, code):
    client, store = offline_client
    headers = {**bearer(DEV_KEY), **kwargs.pop("headers", {})}
    response = client.post("/v1/images", headers=headers, **kwargs)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert store.objects == {}


def test_a_batch_over_its_file_count_is_refused_whole(offline_client):
    client, store = offline_client
    client.app.state.settings.max_files_per_batch = 2
    files = [("files", (f"{i}.jpg", samples.noisy_jpeg(seed=i))) for i in range(3)]
    response = client.post("/v1/images/batch", headers=bearer(DEV_KEY), files=files)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_many_files")
    assert store.objects == {}  # the two staged before the third arrived are gone too


def test_a_batch_over_its_byte_limit_is_refused_whole(offline_client):
    client, store = offline_client
    client.app.state.settings.max_batch_bytes = 30_000
    files = [("files", (f"{i}.jpg", samples.noisy_jpeg(seed=i))) for i in range(3)]
    response = client.post("/v1/images/batch", headers=bearer(DEV_KEY), files=files)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "batch_too_large")
    assert store.objects == {}


def test_a_batch_reports_refused_files_one_by_one(offline_client):
    client, store = offline_client
    files = [("files", ("notes.jpg", b"plain text " * 40)), ("files", ("empty.png", b"")),
             ("files", ("bomb.png", samples.png_header_only(100_000, 100_000)))]
    response = client.post("/v1/images/batch", headers=bearer(DEV_KEY), files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(f["filename"], f["status"], f["error"]["code"]) for f in body["files"]] == [
        ("notes.jpg", "rejected", "unsupported_format"), ("empty.png", "rejected", "empty_file"),
        ("bomb.png", "rejected", "too_many_pixels")]
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (0, 0, 3)
    assert store.objects == {}
