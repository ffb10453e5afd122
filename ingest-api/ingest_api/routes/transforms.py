"""Transform URLs: GET /v1/images/{id}/transform answers 302 to the signed
URL (or, with redirect=false, the URL as JSON) for anyone who may see the
image. Thin: parse, call the core (ingest_api/transforms.py) in a thread."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from connectors import minio
from ingest_api import catalog
from ingest_api import transforms as core
from ingest_api.deps import Anyone, Images, PresetsRepo, Settings, SharingRepo, TransformLimitsDep, Urls
from ingest_api.errors import InvalidField
from ingest_api.models import ErrorBody, TransformOut, TransformParams

router = APIRouter(prefix="/v1/images", tags=["transforms"])


class TransformQuery(TransformParams):
    preset: str | None = Field(None, description="One of the image owner's presets instead of the options.")
    expires_in: int | None = Field(None, description="Seconds the URL lasts: anyone's choice for a public "
                                                     "image (its URL never expires otherwise), the owners' "
                                                     "for a private one.")
    redirect: bool = Field(True, description="false answers the URL as JSON instead of redirecting.")


@router.get("/{image_id}/transform", summary="Redirect to a signed transform URL", status_code=302,
            response_class=RedirectResponse,
            responses={200: {"model": TransformOut, "description": "With `redirect=false`."},
                       **{code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 429, 503)}})
async def transform(image_id: str, query: Annotated[TransformQuery, Query()], viewer: Anyone,
                    images: Images, sharing: SharingRepo, presets: PresetsRepo, urls: Urls,
                    settings: Settings, limits: TransformLimitsDep):
    """The image resized, cropped, turned, filtered, watermarked and encoded as asked, rendered on
    the first request (then stored and cached): anyone who may see the image gets the URL, signed
    with the delivery key (HMAC-SHA256, key id, expiry), so clients never hold the key. Options
    nothing can render (over the limits, an unknown format) answer 400 `invalid_transform`."""
    params = query.model_dump(exclude={"preset", "expires_in", "redirect"}, exclude_none=True)

    def sign() -> TransformOut:
        record, level = catalog.access(images=images, sharing=sharing, viewer=viewer, image_id=image_id)
        if query.preset is not None:
            if params:
                raise InvalidField("name a preset or give options, not both")
            options = core.preset_options(presets=presets, owner=record.owner, name=query.preset,
                                          limits=limits)
        else:
            options = core.options_of(params, limits)
        core.check_watermark(images=images, sharing=sharing, viewer=viewer, options=options)
        url, expires_at = core.mint(record=record, level=level, options=options, delivery=urls,
                                    expires_in=query.expires_in, max_lifetime_s=settings.share_max_lifetime_s)
        return TransformOut(url=url, options=options.text(), expires_at=expires_at)

    out = await run_in_threadpool(functools.partial(sign))
    if not query.redirect:
        return JSONResponse(out.model_dump(mode="json"))
    # A public image's URL never changes: browsers may keep the redirect; anything else is the caller's.
    cache = ("public, max-age=3600" if out.expires_at is None and f"/{minio.PUBLIC}" in out.url
             else "private, no-store")
    return RedirectResponse(out.url, status_code=302, headers={"Cache-Control": cache})
