"""The page for people, in a real browser (Debian's chromium through
Playwright) on the deployed stack: the issue's scenario from sign-up to the
API's /docs, with a screenshot of each page written to docs/screenshots/
(the README shows them). Every request the browser makes must stay on this
machine: the page and /docs carry their own assets.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from devstack import engines
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from skimage import data as skimage_data

from tests.faults import session
from tests.faults.photos import encode
from tests.streams.photos import full_exif

pytestmark = pytest.mark.integration

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
READY_S = 300  # upload to `ready` through every stage, on a busy two-core machine
LOCAL = {"localhost", "127.0.0.1"}
# Each assertion waits this long for the page to catch up (Playwright's default is 5 s): at
# the end of a full run on two cores, a sign-up (password hashing, Cassandra) took longer.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def control(docker_client, stack):
    for deployed in session.deployed(docker_client, stack, []):  # the account is made on the page
        # tusd calls its hooks at the API's service name, as in `./darkroom up`: give the
        # suite's API container that alias on the stack's network.
        network, api = docker_client.networks.get(stack.network), deployed.container(engines.API.name)
        network.disconnect(api)
        network.connect(api, aliases=[engines.API.name])
        deployed.wait_api()
        yield deployed


@pytest.fixture
def outside() -> list[str]:
    return []


def _page(browser: Browser, base_url: str, outside: list[str], viewport=DESKTOP) -> Page:
    """A fresh browser context (no cookies, no storage) that refuses, and
    records, any request leaving the machine."""
    context = browser.new_context(base_url=base_url, viewport=viewport)
    context.set_default_timeout(30_000)

    def guard(route):
        if urlsplit(route.request.url).hostname in LOCAL or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    context.route("**/*", guard)
    return context.new_page()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _photo(tmp_path: Path, word: str) -> tuple[Path, Path, Path]:
    cat = encode(Image.fromarray(skimage_data.chelsea()), "JPEG", quality=90, exif=full_exif())
    first = tmp_path / f"cat-{word}.jpg"
    first.write_bytes(cat)
    again = tmp_path / "same-cat-again.jpg"
    again.write_bytes(cat)
    text = tmp_path / "notes.txt"
    text.write_text("not a photo\n")
    return first, again, text


def _token(page: Page) -> str:
    return page.evaluate("JSON.parse(localStorage.getItem('darkroom.session')).access")


def test_sign_up_upload_search_share_delete_and_docs(control, browser, outside, tmp_path):
    api = control.api_url
    word = f"w{uuid.uuid4().hex[:8]}"  # a title word only this run's photo has
    user, password = f"web-{word}", f"pw-{uuid.uuid4().hex}"
    page = _page(browser, api, outside)

    # Sign up (which signs in) and land on Upload.
    page.goto("/signup")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/upload$"))
    expect(page.locator("#who-name")).to_have_text(user)

    # An album to upload into, from its own page.
    page.goto("/albums")
    page.get_by_label("New album").fill("Harbour trip")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("link", name="Harbour trip").click()
    expect(page).to_have_url(re.compile(r"/albums/\w+$"))
    album_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("link", name="Upload into this album").click()
    expect(page.get_by_label("Into album")).to_have_value(album_id)  # which opens the options

    # Three files: a photo, the same bytes again, a text file; one tag for all, the place kept.
    page.get_by_label(re.compile("Keep where each photo was taken")).check()
    page.get_by_label("Title (default: the file's name)").fill(f"cat {word}")  # whichever copy wins
    page.get_by_label("Tags (comma-separated)").fill("harbour")
    page.locator("#files").set_input_files(list(_photo(tmp_path, word)))
    cards = page.locator(".upload-card")
    expect(cards).to_have_count(3)
    refused = page.locator('.upload-card[data-state="refused"]')
    expect(refused).to_have_count(1, timeout=30_000)  # after the two photos' slots, on a busy machine
    expect(refused).to_contain_text("notes.txt")
    expect(refused.locator(".reason")).to_contain_text("unsupported")
    # Known once tusd's hand-off of the second copy is through (it waits on the first's claim).
    expect(page.locator('.upload-card[data-state="duplicate"]')).to_have_count(1, timeout=READY_S * 1000)
    expect(page.locator('.upload-card[data-state="ready"]')).to_have_count(1, timeout=READY_S * 1000)
    expect(page.locator("#total-text")).to_contain_text("3 of 3 sent")
    _shot(page, "upload")

    # Browse: one photo, a <picture> with WebP and JPEG srcsets, loaded lazily.
    page.goto("/photos")
    tile = page.locator(".tile")
    expect(tile).to_have_count(1)
    expect(tile.locator("picture source[type='image/webp']")).to_have_attribute("srcset", re.compile(r"\d+w"))
    expect(tile.locator("img")).to_have_attribute("loading", "lazy")
    expect(tile.locator("img")).to_have_attribute("alt", f"cat {word}")
    expect(tile.locator("picture.loaded")).to_have_count(1)
    _shot(page, "photos")
    phone = _page(browser, api, outside, viewport=PHONE)
    phone.goto("/signin")
    phone.evaluate("s => localStorage.setItem('darkroom.session', s)",
                   page.evaluate("localStorage.getItem('darkroom.session')"))
    phone.goto("/photos")
    expect(phone.locator(".tile picture.loaded")).to_have_count(1)
    _shot(phone, "photos-phone")
    phone.context.close()

    # Search a word of the title (the index follows `ready` within seconds), then a tag facet.
    deadline = time.monotonic() + 60
    while True:
        page.goto(f"/search?q={word}")
        page.wait_for_selector("#count:not(:empty), .notice.error")
        if page.locator(".tile").count() == 1 or time.monotonic() > deadline:
            break
        time.sleep(2)
    expect(page.locator(".tile")).to_have_count(1)
    facet = page.locator("#facets a", has_text="harbour")
    expect(facet).to_be_visible()
    facet.click()
    expect(page).to_have_url(re.compile(rf"q={word}&tag=harbour"))
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator("#facets a[aria-current]")).to_have_text("harbour")
    _shot(page, "search")

    # The image page: make it private (anonymous readers lose it), share it.
    page.locator(".tile a").click()
    expect(page).to_have_url(re.compile(r"/images/"))
    image_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#title")).to_have_text(f"cat {word}")
    token = _token(page)
    owner = {"Authorization": f"Bearer {token}"}
    # The owner's tag and the classifier's, apart; `ready` means the tagging stage has run.
    expect(page.locator("#tags dd").first).to_have_text("harbour")
    seen = httpx.get(f"{api}/v1/images/{image_id}/tags", headers=owner, timeout=10).json()
    assert seen["model"] and seen["tags"] == ["harbour"], seen
    expect(page.locator("#tags dd.model")).to_have_text(
        ", ".join(f"{t['tag']} ({math.floor(100 * t['confidence'] + 0.5)} %)" for t in seen["model_tags"])
        or "nothing it knows")
    # The place it was taken (kept at upload), on a map drawn from the page's own assets.
    expect(page.locator("#coordinates")).to_have_text("48.85830, -2.29450")
    expect(page.locator("#location svg.map circle.marker")).to_be_visible()
    assert len(page.locator("#location svg.map path.land").get_attribute("d") or "") > 1000
    expect(page.locator("#album-list")).to_contain_text("Harbour trip")
    expect(page.get_by_role("button", name="Remove from Harbour trip")).to_be_visible()
    assert httpx.get(f"{api}/v1/images/{image_id}", timeout=10).status_code == 200
    page.get_by_label("Visibility").select_option("private")
    expect(page.locator("#notice")).to_have_text("Now private.")
    assert httpx.get(f"{api}/v1/images/{image_id}", timeout=10).status_code == 404
    expect(page.locator("#camera")).to_contain_text("Camera")  # the metadata stage's, read by then
    page.get_by_label("Expires in").fill("8")
    page.get_by_label("Unit").select_option(label="seconds")
    page.get_by_role("button", name="Make a link").click()
    expect(page.locator("#share-url")).to_have_value(re.compile(r"/s/"))
    share_url = page.locator("#share-url").input_value()
    shared_at = time.monotonic()
    assert re.fullmatch(rf"{re.escape(api)}/s/[\w-]+", share_url), share_url
    _shot(page, "image")

    # The link, in a fresh anonymous context: the private photo is seen, until the link expires.
    stranger = _page(browser, api, outside)
    stranger.goto(share_url)
    expect(stranger.locator("#title")).to_have_text(f"cat {word}")
    expect(stranger.locator("#figure picture.loaded")).to_have_count(1)
    expect(stranger.locator("#who")).to_be_hidden()
    _shot(stranger, "shared")
    time.sleep(max(0.0, 8.5 - (time.monotonic() - shared_at)))
    stranger.reload()
    expect(stranger.locator("#notice")).to_have_text("This link has expired or does not exist.")
    stranger.context.close()

    # Delete, then restore.
    expect(page.get_by_role("button", name="Restore")).to_be_hidden()  # nothing to restore yet
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    assert httpx.get(f"{api}/v1/images/{image_id}", headers=owner, timeout=10).status_code == 404
    page.get_by_role("button", name="Restore").click()
    expect(page.locator("#notice")).to_have_text("Restored.")
    assert httpx.get(f"{api}/v1/images/{image_id}", headers=owner, timeout=10).status_code == 200

    # A second photo, added to the album from the grid by selection, then moved first.
    second = encode(Image.fromarray(skimage_data.astronaut()), "JPEG", quality=90)
    posted = httpx.post(f"{api}/v1/images", headers=owner, data={"title": f"second {word}"},
                        files={"file": ("second.jpg", second)}, timeout=60)
    assert posted.status_code == 202, posted.text
    page.goto("/photos")
    expect(page.locator(".tile")).to_have_count(2)
    page.get_by_label(f"Select second {word}").check()
    page.locator("#album-target").select_option(label="Harbour trip")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#notice")).to_have_text("Added 1 to Harbour trip.")
    page.goto(f"/albums/{album_id}")
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(2)
    expect(tiles.first.locator(".caption")).to_have_text(f"cat {word}")
    tiles.first.get_by_role("button", name="Move later").click()
    expect(page.locator("#notice")).to_have_text("Order saved.")
    expect(tiles.first.locator(".caption")).to_have_text(f"second {word}")
    order = httpx.get(f"{api}/v1/albums/{album_id}/images", headers=owner, timeout=10).json()["items"]
    assert [i["id"] for i in order] == [posted.json()["id"], image_id]
    _shot(page, "album")

    # Keys: made, shown once, working; revoked, refused.
    page.goto("/keys")
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-value")).to_have_value(re.compile(r".{20,}"))
    key = page.locator("#new-key-value").input_value()
    with_key = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{api}/v1/me", headers=with_key, timeout=10).json()["username"] == user
    row = page.locator("#keys tr", has_text="laptop")
    expect(row).to_contain_text(key[:6])
    _shot(page, "keys")
    row.get_by_role("button", name="Revoke laptop").click()
    expect(row).to_contain_text("revoked")
    assert httpx.get(f"{api}/v1/me", headers=with_key, timeout=10).status_code == 401

    # Sign out, and back in.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.goto("/photos")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fphotos$"))
    page.locator("#signin").get_by_label("User name").fill(user)
    page.locator("#signin").get_by_label("Password").fill(password)
    _shot(page, "signin")
    page.locator("#signin").get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/photos$"))
    expect(page.locator(".tile")).to_have_count(2)

    # /docs: Swagger UI from the package lists the API's paths.
    page.goto("/docs")
    expect(page.locator('.opblock-summary-path[data-path="/v1/images/{image_id}"]').first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    _shot(page, "docs")
    page.context.close()

    assert outside == [], f"the browser tried to leave the machine: {outside[:5]}"
