import io
import uuid

import httpx
import pytest

from connectors import minio, nginx
from connectors.settings import MinioSettings, NginxSettings

pytestmark = pytest.mark.integration

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture()
def public_object() -> str:
    settings = MinioSettings()
    key = f"public/{uuid.uuid4().hex}.jpg"
    minio.client(settings).put_object(
        settings.variants_bucket, key, io.BytesIO(b"\xff\xd8 not really a jpeg " * 100), 2100,
        content_type="image/jpeg", metadata={"Cache-Control": IMMUTABLE},
    )
    return f"/{settings.variants_bucket}/{key}"


def test_miss_then_hit_then_purge_then_miss(public_object):
    settings = NginxSettings()
    url = f"{settings.url}{public_object}"
    first, second = httpx.get(url), httpx.get(url)
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert second.headers["content-type"] == "image/jpeg"
    assert second.headers["cache-control"] == IMMUTABLE
    assert second.content == first.content

    assert nginx.DeliveryCache(settings).purge(public_object) is True
    assert httpx.get(url).headers["x-cache-status"] == "MISS"
    assert nginx.DeliveryCache(settings).purge(public_object) is True  # cached again by that GET


def test_range_request_is_answered_from_cache(public_object):
    settings = NginxSettings()
    url = f"{settings.url}{public_object}"
    httpx.get(url)
    partial = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206
    assert partial.content == b"\xff\xd8 not rea"
    assert partial.headers["x-cache-status"] == "HIT"


def test_signed_requests_are_never_cached():
    settings, cache = MinioSettings(), NginxSettings()
    key = f"private/{uuid.uuid4().hex}.jpg"
    minio.client(settings).put_object(settings.variants_bucket, key, io.BytesIO(b"private"), 7)
    # S3 signatures cover the host, so sign for the address the client dials: nginx.
    signer = minio.client(settings, endpoint=cache.url.removeprefix("http://"))
    url = signer.presigned_get_object(settings.variants_bucket, key)
    answers = [httpx.get(url) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert all(a.content == b"private" for a in answers)
    assert all(a.headers.get("x-cache-status") != "HIT" for a in answers)
    assert httpx.get(f"{cache.url}/{settings.variants_bucket}/{key}").status_code == 403
