import io
import uuid

import httpx
import pytest
from pydantic import SecretStr

from connectors import minio, nginx
from connectors.settings import DeliverySettings, MinioSettings, NginxSettings

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

    cache = nginx.DeliveryCache(settings, DeliverySettings().purge_token)
    assert cache.purge(public_object) is True
    assert httpx.get(url).headers["x-cache-status"] == "MISS"
    assert cache.purge(public_object) is True  # cached again by that GET


def test_range_request_is_answered_from_cache(public_object):
    settings = NginxSettings()
    url = f"{settings.url}{public_object}"
    httpx.get(url)
    partial = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206
    assert partial.content == b"\xff\xd8 not rea"
    assert partial.headers["x-cache-status"] == "HIT"


def test_s3_signed_requests_are_never_cached():
    # What owners get for their originals: an S3 URL signed for nginx, passed through.
    settings, cache = MinioSettings(), NginxSettings()
    key = f"originals/test/{uuid.uuid4().hex}"
    minio.client(settings).put_object(settings.originals_bucket, key, io.BytesIO(b"private"), 7)
    # S3 signatures cover the host, so sign for the address the client dials: nginx.
    signer = minio.client(settings, endpoint=cache.url.removeprefix("http://"))
    url = signer.presigned_get_object(settings.originals_bucket, key)
    answers = [httpx.get(url) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert all(a.content == b"private" for a in answers)
    assert all(a.headers.get("x-cache-status") != "HIT" for a in answers)
    assert httpx.get(f"{cache.url}/{settings.originals_bucket}/{key}").status_code == 403


@pytest.fixture()
def private_object() -> str:
    settings = MinioSettings()
    key = f"private/v/{uuid.uuid4().hex}/1x1-0.jpg"
    minio.client(settings).put_object(settings.variants_bucket, key, io.BytesIO(b"secret pixels"), 13,
                                      content_type="image/jpeg", metadata={"Cache-Control": IMMUTABLE})
    return f"/{settings.variants_bucket}/{key}"


def _signer() -> nginx.UrlSigner:
    return nginx.UrlSigner(DeliverySettings().signing_keys)


def _refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_a_private_variant_is_served_only_to_a_valid_signature_cached_or_not(private_object):
    base = NginxSettings().url
    signed = _signer().sign(base, private_object, 600)
    first, second = httpx.get(signed), httpx.get(signed)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == b"secret pixels"
    assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
    # Browsers keep it no longer than the signature lasts; shared caches never.
    control = second.headers["cache-control"]
    assert control.startswith("private, max-age=") and 590 <= int(control.rsplit("=", 1)[1]) <= 600
    # The cached copy is still guarded: each request is checked.
    assert _refusal(httpx.get(f"{base}{private_object}")) == (403, "signature_missing")
    assert _refusal(httpx.get(signed.replace("&s=", "&s=A"))) == (403, "signature_invalid")
    assert _refusal(httpx.get(signed.replace("k=", "k=z"))) == (403, "signature_invalid")
    other_path = signed.replace(private_object, private_object.replace(".jpg", ".webp"))
    assert _refusal(httpx.get(other_path)) == (403, "signature_invalid")
    expired = _signer().sign(base, private_object, -1)
    assert _refusal(httpx.get(expired)) == (403, "signature_expired")


def test_every_listed_key_verifies_so_keys_rotate(private_object):
    keys = DeliverySettings().signing_keys.get_secret_value()
    assert keys.count(",") >= 1  # the stack runs two keys, as during a rotation
    older_only = nginx.UrlSigner(SecretStr(keys.split(",", 1)[1]))
    assert httpx.get(older_only.sign(NginxSettings().url, private_object, 60)).status_code == 200


def test_minio_refuses_private_reads_without_the_origin_secret(private_object):
    direct = f"http://{MinioSettings().endpoint}{private_object}"
    assert httpx.get(direct).status_code == 403
    assert httpx.get(direct, headers={"Referer": "a guess"}).status_code == 403
    secret = DeliverySettings().origin_secret.get_secret_value()
    assert httpx.get(direct, headers={"Referer": secret}).status_code == 200  # what nginx sends


def test_a_client_referer_never_opens_private_objects_through_nginx(private_object):
    secret = DeliverySettings().origin_secret.get_secret_value()
    response = httpx.get(f"{NginxSettings().url}{private_object}", headers={"Referer": secret})
    assert response.status_code == 403


def test_only_the_purge_token_purges(public_object):
    settings = NginxSettings()
    url = f"{settings.url}{public_object}"
    httpx.get(url)
    assert httpx.request("PURGE", url).status_code == 403
    assert httpx.request("PURGE", url, headers={nginx.PURGE_TOKEN_HEADER: "guess"}).status_code == 403
    assert httpx.get(url).headers["x-cache-status"] == "HIT"  # still cached
    assert nginx.DeliveryCache(settings, DeliverySettings().purge_token).purge(public_object) is True


def test_a_query_string_never_makes_a_new_cache_entry(public_object):
    url = f"{NginxSettings().url}{public_object}"
    assert httpx.get(url).headers["x-cache-status"] == "MISS"
    for junk in ("?a=1", "?a=2&b=3", "?x-cache-buster=9"):
        assert httpx.get(url + junk).headers["x-cache-status"] == "HIT"


def test_trash_is_never_served():
    settings = MinioSettings()
    key = f"trash/v/{uuid.uuid4().hex}/1x1-0.jpg"
    minio.client(settings).put_object(settings.variants_bucket, key, io.BytesIO(b"deleted"), 7)
    assert httpx.get(f"{NginxSettings().url}/{settings.variants_bucket}/{key}").status_code == 404
