"""End to end, as deployed: photos uploaded through the API (a container)
and followed, by their events, through the real workers (containers) —
resize, metadata, tagging, indexing — to `ready` and into search, for each
kind of photo people upload: a JPEG (a cat, so the classifier has
something to say), a PNG with alpha, an animated GIF, a HEIC and a photo
taken sideways (EXIF orientation 6).
"""

from __future__ import annotations

import io
import random
import time
import uuid
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image
from skimage import data as skimage_data

from schemas import topics
from tests.faults import session
from tests.faults.photos import encode, picture
from tests.faults.traffic import Observer
from tests.streams.photos import full_exif

pytestmark = pytest.mark.integration

OWNER = "e2e"
CHAIN = (topics.IMAGE_UPLOADED, topics.IMAGE_VARIANTS_READY, topics.IMAGE_METADATA_EXTRACTED,
         topics.IMAGE_TAGS_DETECTED, topics.IMAGE_READY)
AFTER = ((topics.IMAGE_UPLOADED, topics.IMAGE_VARIANTS_READY),
         (topics.IMAGE_UPLOADED, topics.IMAGE_METADATA_EXTRACTED),
         (topics.IMAGE_VARIANTS_READY, topics.IMAGE_TAGS_DETECTED),
         (topics.IMAGE_TAGS_DETECTED, topics.IMAGE_READY),
         (topics.IMAGE_METADATA_EXTRACTED, topics.IMAGE_READY))


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    mime: str
    upright: tuple[int, int]  # the size people see
    frames: int = 1
    alpha: bool = False
    orientation: int | None = None


def _cases() -> list[Case]:
    seed = random.randrange(10**9)
    cat = Image.fromarray(skimage_data.chelsea())  # 451x300
    alpha = picture((320, 240), seed).convert("RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize((320, 240)))
    frames = [picture((160, 120), seed + i) for i in range(6)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    sideways = encode(picture((640, 480), seed + 7), "JPEG", quality=90, exif=full_exif(orientation=6))
    return [
        Case("jpeg", encode(cat, "JPEG", quality=90), "image/jpeg", (451, 300)),
        Case("png-alpha", encode(alpha, "PNG"), "image/png", (320, 240), alpha=True),
        Case("animated-gif", gif.getvalue(), "image/gif", (160, 120), frames=6),
        Case("heic", encode(picture((400, 300), seed + 9), "HEIF", quality=80), "image/heic", (400, 300)),
        Case("orientation-6", sideways, "image/jpeg", (480, 640), orientation=6),
    ]


@pytest.fixture(scope="module")
def control(docker_client, stack):
    yield from session.deployed(docker_client, stack, [OWNER])


def test_each_kind_of_photo_goes_all_the_way_to_ready_and_search(control):
    headers = {"Authorization": f"Bearer {control.users.key(OWNER)}"}
    observer = Observer(lambda: control.stack.addresses["kafka"]).start()
    word = f"e2e{uuid.uuid4().hex[:10]}"  # a title word only this run's images have
    cases, ids = _cases(), {}
    try:
        for case in cases:
            response = httpx.post(f"{control.api_url}/v1/images", headers=headers, timeout=60,
                                  files={"file": (f"{case.name}.bin", case.data)},
                                  data={"title": f"{word} {case.name}", "tags": "holiday"})
            assert response.status_code == 202, response.text
            ids[case.name] = response.json()["id"]
        deadline = time.monotonic() + 300
        while len(observer.of(topics.IMAGE_READY.name, set(ids.values()))) < len(ids):
            assert time.monotonic() < deadline, {t.name: len(observer.of(t.name, set(ids.values())))
                                                 for t in CHAIN}
            time.sleep(1)
        # Every stage spoke about every image, each once, in the order the stages chain
        # (resize and metadata both start from the upload, tagging from the variants).
        for case in cases:
            at = {t.name: [r.at for r in observer.of(t.name, {ids[case.name]})] for t in CHAIN}
            assert all(len(times) == 1 for times in at.values()), (case.name, at)
            for before, after in AFTER:
                assert at[before.name][0] <= at[after.name][0], (case.name, before.name, after.name)
    finally:
        observer.stop()

    for case in cases:
        image = httpx.get(f"{control.api_url}/v1/images/{ids[case.name]}", headers=headers, timeout=30).json()
        assert image["status"] == "ready", (case.name, image)
        assert image["mime_type"] == case.mime
        rendered = [v for v in image["variants"] if v["format"] == "webp"]
        largest = max(rendered, key=lambda v: v["width"])
        shown = Image.open(io.BytesIO(httpx.get(largest["url"], timeout=30).content))
        assert shown.size == (largest["width"], largest["height"])
        assert (shown.width > shown.height) == (case.upright[0] > case.upright[1]), case.name
        assert ("A" in shown.mode) == case.alpha, (case.name, shown.mode)

        metadata = httpx.get(f"{control.api_url}/v1/images/{ids[case.name]}/metadata", headers=headers,
                             timeout=30).json()["metadata"]
        assert (metadata["width"], metadata["height"]) == case.upright, case.name
        assert (metadata["frames"], metadata["mime_type"]) == (case.frames, case.mime)
        if case.orientation:
            assert metadata["orientation"] == case.orientation

    found = {}
    deadline = time.monotonic() + 30
    while len(found) < len(cases) and time.monotonic() < deadline:
        time.sleep(1)  # the index refreshes every second
        answer = httpx.get(f"{control.api_url}/v1/search", params={"q": word, "limit": 20}, headers=headers,
                           timeout=30).json()
        found = {item["id"] for item in answer["items"]}
    assert found == set(ids.values())
    cats = httpx.get(f"{control.api_url}/v1/search", params={"q": word, "tag": "cat"}, headers=headers,
                     timeout=30).json()
    assert [item["id"] for item in cats["items"]] == [ids["jpeg"]]
