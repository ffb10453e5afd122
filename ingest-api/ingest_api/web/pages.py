"""The page routes: each renders one template; the page's module (static/pages/)
does the rest through the public API. Not part of the OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

# path -> (template, title); the template's name is also its module's.
PAGES = {
    "/signin": ("signin", "Sign in"),
    "/signup": ("signup", "Create an account"),
    "/photos": ("photos", "Your photos"),
    "/upload": ("upload", "Upload"),
    "/search": ("search", "Search"),
    "/albums": ("albums", "Albums"),
    "/keys": ("keys", "API keys"),
}
Id = Annotated[str, PathParam(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


def _render(request: Request, page: str, title: str, **context: str) -> HTMLResponse:
    return templates.TemplateResponse(request, f"{page}.html", {"page": page, "title": title, **context})


def _page(page: str, title: str):
    def show(request: Request) -> HTMLResponse:
        return _render(request, page, title)
    return show


for _path, (_page_name, _title) in PAGES.items():
    router.add_api_route(_path, _page(_page_name, _title), methods=["GET"], response_class=HTMLResponse)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/photos")


@router.get("/images/{image_id}", response_class=HTMLResponse)
def image(request: Request, image_id: Id) -> HTMLResponse:
    return _render(request, "image", "Photo", image_id=image_id)


@router.get("/albums/{album_id}", response_class=HTMLResponse)
def album(request: Request, album_id: Id) -> HTMLResponse:
    return _render(request, "album", "Album", album_id=album_id)


@router.get("/s/{token}", response_class=HTMLResponse)
def shared(request: Request, token: Id) -> HTMLResponse:
    return _render(request, "shared", "Shared photo", token=token)
