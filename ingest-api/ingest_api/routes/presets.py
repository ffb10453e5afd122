"""Presets: named transforms an owner defines once and names at upload
(`presets=` form field), rendered eagerly with the variants; GET
/v1/images/{id}/transform?preset= answers the same output. Thin: parse,
call the core (ingest_api/transforms.py, connectors/presets.py) in a thread."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from connectors.presets import Preset
from ingest_api import transforms as core
from ingest_api.deps import Editor, Images, PresetsRepo, Reader, SharingRepo, TransformLimitsDep
from ingest_api.errors import NotFound
from ingest_api.models import PRESET_NAME, ErrorBody, PresetList, PresetOut, TransformParams
from schemas import transforms

router = APIRouter(prefix="/v1/presets", tags=["presets"])
Name = Annotated[str, Path(pattern=PRESET_NAME, description="a-z, 0-9, _ and -; at most 64 characters.")]
_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 429, 503)}


def _out(preset: Preset) -> PresetOut:
    return PresetOut(name=preset.name, options=preset.options,
                     params=transforms.to_params(transforms.parse(preset.options)),
                     created_at=preset.created_at, updated_at=preset.updated_at)


@router.put("/{name}", summary="Define or redefine a preset", response_model=PresetOut, responses=_ERRORS)
async def put_preset(name: Name, body: TransformParams, viewer: Editor, presets: PresetsRepo, images: Images,
                     sharing: SharingRepo, limits: TransformLimitsDep) -> PresetOut:
    """The transform it stands for, by the names of GET /v1/images/{id}/transform (a watermark image
    must be one you may see). Uploads name it in `presets=`; one that cannot apply to an image (it
    would need a larger image, say) is reported on that image, which is processed all the same."""
    preset = await run_in_threadpool(functools.partial(
        core.define_preset, presets=presets, images=images, sharing=sharing, viewer=viewer, name=name,
        params=body.model_dump(exclude_none=True), limits=limits))
    return _out(preset)


@router.get("", summary="Your presets", response_model=PresetList, responses=_ERRORS)
async def list_presets(caller: Reader, presets: PresetsRepo) -> PresetList:
    return PresetList(items=[_out(p) for p in await run_in_threadpool(presets.list, caller.username)])


@router.get("/{name}", summary="One of your presets", response_model=PresetOut, responses=_ERRORS)
async def get_preset(name: Name, caller: Reader, presets: PresetsRepo) -> PresetOut:
    found = await run_in_threadpool(presets.get, caller.username, name)
    if found is None:
        raise NotFound(f"you have no preset named {name}")
    return _out(found)


@router.delete("/{name}", summary="Forget a preset", status_code=204, response_class=Response,
               responses=_ERRORS)
async def delete_preset(name: Name, viewer: Editor, presets: PresetsRepo) -> Response:
    """Images rendered with it keep their output."""
    if not await run_in_threadpool(presets.delete, viewer.username, name):
        raise NotFound(f"you have no preset named {name}")
    return Response(status_code=204)
