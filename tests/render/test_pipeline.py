"""Eager and on demand through the whole path: photos uploaded through the
API (in process, on the session's stack), the resize stage as ops run it,
the render service from the app image behind nginx. An upload gets its
small rungs and its presets at once; the larger rungs, and any transform
the API signs, on their first request; a delete takes them all away."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

from tests.ingest_api.conftest import KEYS, bearer, upload
from tests.render.conftest import jpeg
from tests.streams.stages import DEADLINE_S, log_tail, start_worker, stop

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def resize(stack):
    process = start_worker("resize")
    yield process
    stop(process)


def _rendered(client, image_id: str, process) -> dict:
    """The image as its owner reads it once the resize stage has listed its variants."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        body = client.get(f"/v1/images/{image_id}", headers=bearer(KEYS["alice"])).json()
        if body["variants"]:
            return body
        time.sleep(0.5)
    raise AssertionError(f"no variants for {image_id}\n{log_tail(process)}")


def _picture(answer: httpx.Response) -> Image.Image:
    assert answer.status_code == 200, answer.text
    return Image.open(io.BytesIO(answer.content))


def _difference(a: Image.Image, b: Image.Image, box: tuple[float, float, float, float]) -> float:
    w, h = a.size
    area = (int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h))
    diff = ImageChops.difference(a.convert("L").crop(area), b.convert("L").crop(area))
    return ImageStat.Stat(diff).mean[0]


def test_upload_renders_small_rungs_and_presets_at_once_and_the_rest_on_first_request(client, resize, render):
    square = {"w": 200, "h": 200, "fit": "fill", "format": "jpeg", "watermark": "text:DARKROOM",
              "watermark_opacity": 100, "watermark_size": 60}
    banner = {"w": 3000, "h": 900, "fit": "fill"}
    for name, preset in (("square-200", square), ("banner-3000", banner)):
        defined = client.put(f"/v1/presets/{name}", headers=bearer(KEYS["alice"]), json=preset)
        assert defined.status_code == 200, defined.text
    answer = upload(client, "alice", jpeg(1600, 1200, seed=12),
                    presets="square-200,banner-3000,nothing-such")
    assert answer.status_code in (201, 202), answer.text
    body = _rendered(client, answer.json()["id"], resize)

    eager = [v for v in body["variants"] if not v["on_demand"]]
    lazy = [v for v in body["variants"] if v["on_demand"]]
    assert sorted({max(v["width"], v["height"]) for v in eager}) == [150, 320, 640]
    assert sorted({max(v["width"], v["height"]) for v in lazy}) == [1280, 1600]
    for variant in lazy:  # signed transform URLs, rendered now, then cached
        first = httpx.get(variant["url"], timeout=60)
        assert first.headers["x-darkroom-render"] == "rendered"
        assert _picture(first).size == (variant["width"], variant["height"])
        assert first.headers["content-type"] == f"image/{variant['format']}"
        assert httpx.get(variant["url"], timeout=60).headers["x-cache-status"] == "HIT"

    presets = {p["name"]: p for p in body["presets"]}
    assert "needs a larger image than 1600x1200" in presets["banner-3000"]["problem"]
    assert "no preset named nothing-such" in presets["nothing-such"]["problem"]
    made = presets["square-200"]
    assert (made["width"], made["height"], made["format"]) == (200, 200, "jpeg")
    output = httpx.get(made["url"], timeout=60)
    assert output.headers["x-darkroom-render"] == "stored"  # the resize stage made it at upload
    # The watermark is there: the bottom right differs from the same crop without it, the top left not.
    plain = client.get(f"/v1/images/{body['id']}/transform", headers=bearer(KEYS["alice"]),
                       params={"w": 200, "h": 200, "fit": "fill"}, follow_redirects=False)
    bare = _picture(httpx.get(plain.headers["location"], timeout=60))
    marked = _picture(output)
    assert _difference(marked, bare, (0.5, 0.8, 1, 1)) > 10
    assert _difference(marked, bare, (0, 0, 0.3, 0.3)) < 2


def test_the_api_redirects_to_a_signed_transform_for_whoever_may_see_the_image(client, render):
    answer = upload(client, "alice", jpeg(1000, 800, seed=13), visibility="private")
    assert answer.status_code in (201, 202), answer.text
    image_id = answer.json()["id"]
    path = f"/v1/images/{image_id}/transform"

    moved = client.get(path, headers=bearer(KEYS["alice"]), params={"w": 500, "format": "webp"},
                       follow_redirects=False)
    assert moved.status_code == 302
    assert moved.headers["cache-control"] == "private, no-store"
    assert f"/w:500,f:webp/private/{image_id}" in moved.headers["location"]
    image = _picture(httpx.get(moved.headers["location"], timeout=60))
    assert (image.format, image.size) == ("WEBP", (500, 400))

    minted = client.get(path, headers=bearer(KEYS["alice"]),
                        params={"w": 100, "expires_in": 60, "redirect": "false"}).json()
    assert minted["options"] == "w:100,f:jpeg" and minted["expires_at"]

    refused = client.get(path, headers=bearer(KEYS["alice"]), params={"w": 99999})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_transform"
    assert "w must be 1 to 8192" in refused.json()["error"]["message"]
    assert client.get(path, headers=bearer(KEYS["bob"]), params={"w": 100}).status_code == 404


def test_a_delete_takes_its_transforms_out_of_the_store_and_the_cache(client, render):
    answer = upload(client, "alice", jpeg(900, 600, seed=14))
    image_id = answer.json()["id"]
    moved = client.get(f"/v1/images/{image_id}/transform", headers=bearer(KEYS["alice"]),
                       params={"w": 300}, follow_redirects=False)
    url = moved.headers["location"]
    assert httpx.get(url, timeout=60).status_code == 200
    assert httpx.get(url, timeout=60).headers["x-cache-status"] == "HIT"

    assert client.delete(f"/v1/images/{image_id}", headers=bearer(KEYS["alice"])).status_code in (202, 204)
    gone = httpx.get(url, timeout=60)
    assert gone.status_code == 404
    assert gone.headers.get("x-cache-status") != "HIT"
