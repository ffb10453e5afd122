"""The page's shells and /docs, offline: every page renders its template and
loads its module, nothing points off the machine, and the OpenAPI document
holds the API only. (The pages at work, in a browser: tests/web.)"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from ingest_api.main import create_app
from ingest_api.web import STATIC, pages

client = TestClient(create_app())  # no lifespan: the pages need no engine
REMOTE = re.compile(r"""(src|href)=["']?(https?:)?//""")


@pytest.mark.parametrize("path,module", [
    *((path, page) for path, (page, _) in pages.PAGES.items()),
    ("/images/abc123", "image"), ("/albums/a1", "album"), ("/s/tok_en-1", "shared"),
])
def test_each_page_renders_its_shell_and_module(path, module):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f'src="/static/pages/{module}.js"' in response.text
    assert (STATIC / "pages" / f"{module}.js").is_file()
    assert not REMOTE.search(response.text)


def test_ids_in_page_paths_are_checked_and_escaped():
    assert client.get("/images/abc123").text.count('data-image-id="abc123"') == 1
    assert client.get("/images/a%22b").status_code == 422  # not an id: never reaches the template


def test_home_goes_to_the_photos():
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307) and response.headers["location"] == "/photos"


def test_docs_load_swagger_ui_from_the_package():
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']?([^"' >]+)""", page.text.replace("url: '", "src='"))
    assert "/static/vendor/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui.css" in assets
    assert not [a for a in assets if "//" in a]  # no CDN
    for asset in ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css",
                  "/static/vendor/thumbhash.js", "/static/vendor/topojson-client.min.js",
                  "/static/vendor/land-110m.json", "/static/map.js"):
        assert client.get(asset).status_code == 200, asset


def test_the_openapi_document_has_the_api_and_not_the_pages():
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/images" in paths
    assert not [p for p in paths if not p.startswith(("/v1/", "/healthz", "/readyz", "/metrics"))]
