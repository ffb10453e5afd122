"""Search and tag completion. Thin: parse, call ingest_api.search in a worker
thread, answer. Anonymous callers are welcome here (public images only)."""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from ingest_api import albums as album_rules
from ingest_api import search
from ingest_api.deps import AlbumsRepo, Anyone, Index, Urls
from ingest_api.models import NO_ALBUM, ErrorBody, SearchOut, TagsOut
from ingest_api.problems import ApiError

router = APIRouter(prefix="/v1", tags=["search"])

DEFAULT_WITHIN_KM = 10.0
EARTH_HALF_CIRCUMFERENCE_KM = 20_038.0
_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 422, 503)}


def _near(near: str | None, within: float | None) -> tuple[tuple[float, float] | None, float | None]:
    if near is None:
        if within is not None:
            raise ApiError("invalid_request", "within: needs `near`")
        return None, None
    try:
        lat, lon = (float(p) for p in near.split(","))
    except ValueError:
        raise ApiError("invalid_request", "near: expected `lat,lon` in decimal degrees") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ApiError("invalid_request", "near: latitude within ±90, longitude within ±180")
    return (lat, lon), within if within is not None else DEFAULT_WITHIN_KM


# The parameters, described once for /docs.
Text = Annotated[str | None, Query(
    max_length=500, description="Words to find in titles, descriptions and tags (accents and "
                                "endings ignored).")]
Tags = Annotated[list[str] | None, Query(
    max_length=64, description="Only images with this tag (the owner's or the classifier's); repeat "
                               "the parameter for images with all of several.")]
Camera = Annotated[str | None, Query(max_length=200, description="Exactly this camera, as in the "
                                                                 "`cameras` facet.")]
From = Annotated[date | None, Query(alias="from", description="Taken (else uploaded) on or after.")]
To = Annotated[date | None, Query(alias="to", description="Taken (else uploaded) on or before.")]
Near = Annotated[str | None, Query(description="`lat,lon`: only images located near it.")]
Within = Annotated[float | None, Query(
    gt=0, le=EARTH_HALF_CIRCUMFERENCE_KM,
    description=f"Kilometres from `near` (default {DEFAULT_WITHIN_KM:g}).")]
Sort = Annotated[Literal["relevance", "newest"] | None, Query(
    description="Default: relevance with `q`, newest without.")]
Cursor = Annotated[str | None, Query(max_length=2000, description="`next_cursor` of the previous page.")]
Album = Annotated[str | None, Query(max_length=64, description="Only images in this album (yours to see).")]


@router.get("/search", summary="Search images", response_model=SearchOut, responses={**_ERRORS, **NO_ALBUM})
async def search_images(
    index: Index, urls: Urls, viewer: Anyone, albums: AlbumsRepo, q: Text = None, tag: Tags = None,
    camera: Camera = None, date_from: From = None, date_to: To = None, near: Near = None,
    within: Within = None, album: Album = None, sort: Sort = None, cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchOut:
    """Without `Authorization`, public images only; with it, also your own, those shared with you and
    your organizations' images, of any visibility. `near` matches only images whose location you may
    see (your own; your organizations' as owner or admin). Facets count every match, not just the
    page."""
    if date_from and date_to and date_from > date_to:
        raise ApiError("invalid_request", "from: must not be after `to`")
    point, within_km = _near(near, within)
    query = search.SearchQuery(
        q=(q or "").strip() or None, tags=tuple(sorted({search.fold(t) for t in tag or [] if t.strip()})),
        camera=search.fold(camera) if camera and camera.strip() else None, date_from=date_from,
        date_to=date_to, near=point, within_km=within_km, sort=sort or ("relevance" if q else "newest"),
        album=album, limit=limit)
    if album is not None:  # 404 unless the caller may see the album
        await run_in_threadpool(functools.partial(album_rules.get, albums=albums, viewer=viewer,
                                                  album_id=album))
    return await run_in_threadpool(functools.partial(search.search, index=index, delivery=urls, viewer=viewer,
                                                     query=query, cursor=cursor))


@router.get("/tags", summary="Complete tag names", response_model=TagsOut, responses=_ERRORS)
async def complete_tags(
    index: Index, viewer: Anyone,
    prefix: Annotated[str, Query(max_length=64, description="What was typed so far.")] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TagsOut:
    """Tags of the images the caller may list, owners' and the classifier's alike, most used first."""
    return await run_in_threadpool(functools.partial(search.complete_tags, index=index, viewer=viewer,
                                                     prefix=prefix, limit=limit))
