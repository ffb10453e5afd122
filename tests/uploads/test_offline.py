"""The doors' pure parts, without engines: checking a stored object, reading
tusd's hook events, sorting a client's errors, the uploader's journal."""

from __future__ import annotations

import hashlib
import json

import pytest
from devstack import upload_doors, upload_files
from ingest_api import ingest, tus
from ingest_api.errors import (
    ChecksumMismatch,
    CorruptImage,
    InvalidField,
    SizeMismatch,
    TooLarge,
    TypeMismatch,
    UnsupportedFormat,
    UploadIncomplete,
)

from connectors.minio import ObjectInfo
from schemas.media import ImageLimits
from tests.ingest_api import samples

JPEG = samples.noisy_jpeg((64, 48), seed=3)


class StoredBucket:
    """The Bucket calls stage_stored makes, over a dict."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = dict(objects)

    def stat(self, key):
        data = self.objects.get(key)
        return None if data is None else ObjectInfo(len(data), None, None, None)

    def stream(self, key, chunk_bytes):
        data = self.objects[key]
        for start in range(0, len(data), chunk_bytes):
            yield data[start:start + chunk_bytes]

    def read_range(self, key, offset, length):
        return self.objects[key][offset:offset + length]

    def remove(self, key):
        self.objects.pop(key, None)


@pytest.mark.parametrize(("data", "expect", "error"), [
    pytest.param(JPEG, {}, None, id="fine"),
    pytest.param(JPEG, {"expect_size": len(JPEG) + 1}, SizeMismatch, id="size"),
    pytest.param(JPEG, {"expect_mime": "image/png"}, TypeMismatch, id="type"),
    pytest.param(JPEG, {"expect_sha256": "0" * 64}, ChecksumMismatch, id="sha256"),
    pytest.param(JPEG, {"expect_sha256": hashlib.sha256(JPEG).hexdigest().upper()}, None, id="sha256-case"),
    pytest.param(JPEG, {"max_bytes": 100}, TooLarge, id="too-large"),
    pytest.param(b"text, not a photo" * 8, {}, UnsupportedFormat, id="not-an-image"),
    pytest.param(b"\xff\xd8\xff\xe0" + b"\0" * 300, {}, CorruptImage, id="corrupt"),
])
def test_a_stored_object_is_checked_from_storage_and_removed_when_refused(data, expect, error):
    bucket = StoredBucket({"staging/direct/x": data})
    kwargs = {"max_bytes": 10_000_000, **expect}
    if error is None:
        staged = ingest.stage_stored(originals=bucket, key="staging/direct/x", limits=ImageLimits(), **kwargs)
        assert (staged.sha256, staged.size) == (hashlib.sha256(data).hexdigest(), len(data))
        assert "staging/direct/x" in bucket.objects
    else:
        with pytest.raises(error):
            ingest.stage_stored(originals=bucket, key="staging/direct/x", limits=ImageLimits(), **kwargs)
        assert bucket.objects == {}


def test_an_object_not_stored_yet_is_incomplete():
    with pytest.raises(UploadIncomplete):
        ingest.stage_stored(originals=StoredBucket({}), key="staging/tus/x", max_bytes=10,
                            limits=ImageLimits())


def test_the_age_sweep_leaves_the_doors_to_their_expiry():
    class Listing(StoredBucket):
        def keys_older_than(self, prefix, age):
            return [k for k in self.objects if k.startswith(prefix)]

    bucket = Listing({"staging/a": b"1", "staging/tus/b": b"2", "staging/tus/b.info": b"3",
                      "staging/direct/c": b"4"})
    hour = ingest.timedelta(hours=1)
    assert ingest.sweep_staging(originals=bucket, older_than=hour) == ["staging/a"]
    assert ingest.sweep_staging(originals=bucket, older_than=hour, prefix=ingest.RESUMABLE,
                                skip=()) == ["staging/tus/b", "staging/tus/b.info"]


@pytest.mark.parametrize(("upload", "declared"), [
    pytest.param({"Size": 10, "MetaData": {"filetype": "image/png", "filename": "a.png"}},
                 {"size": 10, "mime_type": "image/png", "fields": {}}, id="plain"),
    pytest.param({"Size": 10, "MetaData": {"tags": "a,b", "gps": "true", "visibility": "private",
                                           "relativePath": "x/a.png"}},
                 {"size": 10, "mime_type": None,
                  "fields": {"tags": "a,b", "gps": True, "visibility": "private"}},
                 id="fields"),
    pytest.param({"Size": 10, "MetaData": {"sha256": "ab" * 32, "album": "X"}},
                 {"sha256": "ab" * 32, "album": "X"}, id="sha256-album"),
])
def test_what_a_tus_creation_declares(upload, declared):
    found = tus._declared(upload)
    for name, value in declared.items():
        assert getattr(found, name) == value


def test_a_deferred_length_is_refused():
    with pytest.raises(InvalidField) as refused:
        tus._declared({"SizeIsDeferred": True, "Size": 0})
    assert refused.value.code == "length_required"


def test_a_refusal_reaches_the_tus_client_as_the_apis_error_body():
    answer = tus.reject(TooLarge("too big"))
    assert answer["RejectUpload"] is True
    response = answer["HTTPResponse"]
    assert response["StatusCode"] == 413 and response["Header"]["Content-Type"] == "application/json"
    assert json.loads(response["Body"]) == {"error": {"code": "too_large", "message": "too big"}}
    assert tus.our_id("abc+def.ghi") == "abc"


@pytest.mark.parametrize(("status", "kind"), [
    (400, upload_doors.Refused), (401, upload_doors.Refused), (413, upload_doors.Refused),
    (415, upload_doors.Refused), (422, upload_doors.Refused), (408, upload_doors.Transient),
    (409, upload_doors.Transient), (429, upload_doors.Transient), (500, upload_doors.Transient),
    (503, upload_doors.Transient), (None, upload_doors.Transient),
])
def test_the_uploader_retries_only_what_may_pass_later(status, kind):
    error = upload_doors.sort_error(status, b'{"error": {"code": "c", "message": "m"}}', "x", "7")
    assert isinstance(error, kind)
    if status is not None:
        assert str(error) == "c: m"


def test_a_patch_that_another_request_interrupted_is_retried_not_refused():
    # tusd's plain-text 400 when a HEAD or a second client takes the upload's lock
    body = b"ERR_UPLOAD_INTERRUPTED: upload has been interrupted by another request for this upload resource"
    assert isinstance(upload_doors.sort_error(400, body, "Bad Request"), upload_doors.Transient)
    assert isinstance(upload_doors.sort_error(400, b"ERR_UPLOAD_STOPPED: stopped", "x"), upload_doors.Refused)


def test_the_journal_resumes_what_is_about_the_same_bytes(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(JPEG)
    (tmp_path / "b.txt").write_text("notes")
    (tmp_path / ".hidden.jpg").write_bytes(JPEG)
    items = [upload_files.examine(p) for p in upload_files.walk([str(tmp_path)])]
    assert [i.path.name for i in items] == ["a.jpg", "b.txt"]
    assert (items[0].mime_type, items[1].status, items[1].reason) == ("image/jpeg", "skipped", "not an image")
    journal = upload_files.Journal(upload_files.journal_path(tmp_path, {"paths": [str(tmp_path)]}))
    journal.note(items[0], sha256="s", url="http://tus/files/u1")
    journal.note(items[0], sha256="s", url="http://tus/files/u1", status="uploaded", id="IMG")
    journal.close()
    with journal.path.open("a") as cut:
        cut.write('{"path": "a.jp')  # a line a kill cut short
    again = upload_files.examine(photo)
    upload_files.recall(again, upload_files.Journal(journal.path).load().get(again.key))
    assert (again.sha256, again.url, again.status, again.image_id) == (
        "s", "http://tus/files/u1", "uploaded", "IMG")
    photo.write_bytes(JPEG + b"changed")  # other bytes now: the journal's lines are not about them
    changed = upload_files.examine(photo)
    upload_files.recall(changed, upload_files.Journal(journal.path).load().get(changed.key))
    assert (changed.sha256, changed.status) == (None, None)
