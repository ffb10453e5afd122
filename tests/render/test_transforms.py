"""Signed transform URLs end to end on the real engines: nginx verifies and
caches, the render service (the app image's `render`, as deploy/k8s runs it)
renders from the original in MinIO and stores the result. Option-by-option
pixel checks are tests/streams/test_recipe.py's; the signing scheme's own
cases tests/connectors/test_url_signer.py's."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image

from connectors import minio
from connectors.minio import ObjectStore
from connectors.nginx import NEVER, DeliveryCache, UrlSigner, transform_path
from connectors.settings import DeliverySettings, MinioSettings, NginxSettings
from schemas import transforms
from tests.render.conftest import jpeg
from tests.streams.stages import seed_upload

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def photo(images, render) -> str:
    """A public 1600x1200 photo's id (record and original, as the API leaves them)."""
    return seed_upload(images, jpeg(1600, 1200), size=(1600, 1200)).image_id


def _signer() -> UrlSigner:
    return UrlSigner(DeliverySettings().signing_keys)


def _url(options: str, image_id: str, placement: str = "public/", expires: int = NEVER) -> str:
    path = transform_path(options, placement, image_id)
    return _signer().sign_transform(NginxSettings().url, path, expires)


def test_first_request_renders_the_second_is_a_cache_hit_and_a_cold_cache_reads_the_store(photo):
    url = _url("w:400,f:webp", photo)
    first, second = httpx.get(url, timeout=60), httpx.get(url, timeout=60)
    assert (first.status_code, second.status_code) == (200, 200), first.text
    assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
    assert first.headers["x-darkroom-render"] == "rendered"
    assert first.headers["content-type"] == "image/webp"
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert second.content == first.content
    image = Image.open(io.BytesIO(first.content))
    assert (image.format, image.size) == ("WEBP", (400, 300))

    # Stored under the image's placement, at the key nginx caches it by: a cold
    # cache answers from the store, the same bytes, without rendering again.
    key = transforms.key("public/", photo, "w:400,f:webp")
    assert ObjectStore(MinioSettings()).variants.get_if_present(key) == first.content
    cache = DeliveryCache(NginxSettings(), DeliverySettings().purge_token)
    assert cache.purge(f"/{MinioSettings().variants_bucket}/{key}") is True
    cold = httpx.get(url, timeout=60)
    assert (cold.headers["x-cache-status"], cold.headers["x-darkroom-render"]) == ("MISS", "stored")
    assert cold.content == first.content


def test_the_same_transform_renders_to_the_same_bytes(photo):
    """Deterministic: the stored object removed and its cached copy purged, a
    second render gives exactly the first one's bytes."""
    options = "w:300,h:300,fit:fill,g:smart,f:jpeg,q:70"
    first = httpx.get(_url(options, photo), timeout=60)
    assert first.status_code == 200, first.text
    key = transforms.key("public/", photo, options)
    ObjectStore(MinioSettings()).variants.remove(key)
    DeliveryCache(NginxSettings(), DeliverySettings().purge_token).purge(
        f"/{MinioSettings().variants_bucket}/{key}")
    again = httpx.get(_url(options, photo), timeout=60)
    assert again.headers["x-darkroom-render"] == "rendered"
    assert again.content == first.content
    assert Image.open(io.BytesIO(again.content)).size == (300, 300)


def _tampered(url: str) -> str:
    return url.replace("w:200", "w:201")


def _other_key(url: str) -> str:
    kid = url.split("/t/")[1].split(".")[0]
    return url.replace(f"/t/{kid}.", "/t/nokey.")


@pytest.mark.parametrize("make, code", [
    (lambda image: f"{NginxSettings().url}/t/w:200,f:jpeg/public/{image}", "signature_missing"),
    (lambda image: _tampered(_url("w:200,f:jpeg", image)), "signature_invalid"),
    (lambda image: _other_key(_url("w:200,f:jpeg", image)), "signature_invalid"),
    (lambda image: _url("w:200,f:jpeg", image, expires=int(time.time()) - 5), "signature_expired"),
], ids=["unsigned", "tampered", "unknown-key-id", "expired"])
def test_unsigned_tampered_unknown_and_expired_urls_are_refused(photo, render, make, code):
    url = make(photo)
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == code
    assert answer.headers["cache-control"] == "no-store"
    # The render service refuses it too when asked directly (past nginx).
    direct = httpx.get(render + url.removeprefix(NginxSettings().url), timeout=30)
    assert (direct.status_code, direct.json()["error"]["code"]) == (403, code)


@pytest.mark.parametrize("options, reason", [
    ("w:9000,f:jpeg", "w must be 1 to 8192"),
    ("w:5000,h:6000,f:png", "over the limit of 25000000 pixels"),
    ("q:80,f:png", "png is lossless"),
    ("f:jpeg,w:100", "not in canonical form: write w:100,f:jpeg"),
    ("f:bmp", "f must be one of"),
], ids=["side", "pixels", "quality-of-png", "non-canonical", "format"])
def test_limits_give_400_with_the_reason(photo, options, reason):
    answer = httpx.get(_url(options, photo), timeout=30)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_transform"
    assert reason in answer.json()["error"]["message"]
    assert answer.headers.get("x-cache-status") != "HIT"


def test_a_private_image_needs_an_expiring_url_and_is_never_shared(images):
    event = seed_upload(images, jpeg(800, 600), size=(800, 600))
    record = images.get(event.image_id)
    assert images.update_fields(record.id, visibility="private", placement=minio.PRIVATE)
    never = _url("w:200,f:jpeg", record.id, placement=minio.PRIVATE)
    assert httpx.get(never, timeout=30).json()["error"]["code"] == "signature_invalid"
    unsigned = f"{NginxSettings().url}/t/w:200,f:jpeg/private/{record.id}"
    assert httpx.get(unsigned, timeout=30).status_code == 403

    signed = _url("w:200,f:jpeg", record.id, placement=minio.PRIVATE, expires=int(time.time()) + 600)
    first, second = httpx.get(signed, timeout=60), httpx.get(signed, timeout=60)
    assert (first.status_code, second.status_code) == (200, 200), first.text
    assert second.headers["x-cache-status"] == "HIT"  # still verified on every request, cached or not
    assert second.headers["cache-control"].startswith("private, max-age=")
    # Its public spelling names no image there: never the private pixels.
    assert httpx.get(_url("w:200,f:jpeg", record.id), timeout=30).status_code == 404
