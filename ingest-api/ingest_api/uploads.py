"""From a multipart request body to staged files and committed images.

Each file part is handed, chunk by chunk as it arrives, to `ingest.stage`
running in the upload pool (through a Pipe); text fields are collected on
the way. Only when the whole body is read is anything committed, so a
batch over its limits leaves nothing behind, and a field sent after the
file still applies to it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from connectors.errors import UNAVAILABLE
from connectors.kafka import EventBus
from connectors.minio import Bucket
from connectors.records import ImageRepository
from connectors.usage import account_of
from ingest_api import ingest
from ingest_api.config import ApiSettings
from ingest_api.errors import (
    FILE_ERRORS,
    Aborted,
    BatchTooLarge,
    DarkroomError,
    EngineUnavailable,
    InvalidField,
    MissingFile,
    TooLarge,
    TooManyFiles,
    UnexpectedField,
)
from ingest_api.idempotency import Attempt
from ingest_api.limits import Quotas
from ingest_api.models import UploadFields
from ingest_api.multipart import FormReader, Part
from ingest_api.pipe import Pipe
from schemas.media import ImageLimits

log = logging.getLogger(__name__)

FIELDS = frozenset(UploadFields.model_fields)
FORM_OVERHEAD = 1024 * 1024  # headers and text fields on top of the file bytes, at most
FORM_SLACK = 64 * 1024  # room for a form's headers and text fields when its declared size meets a quota


@dataclass
class Received:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, ingest.Staged | DarkroomError]] = field(default_factory=list)

    def staged(self) -> list[ingest.Staged]:
        return [s for _, s in self.files if isinstance(s, ingest.Staged)]


async def _bounded(request: Request, limit: int, error: type[DarkroomError]) -> AsyncIterator[bytes]:
    """The body, refused as soon as it is over `limit` bytes (whatever Content-Length claims)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise error(f"the request is over the limit of {limit} bytes")
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise error(f"the request is over the limit of {limit} bytes")
            yield chunk
    except ClientDisconnect:
        raise Aborted("the client went away before the upload was complete") from None


async def _stage_part(part: Part, *, originals: Bucket, pool: ThreadPoolExecutor, max_bytes: int,
                      limits: ImageLimits) -> ingest.Staged:
    loop = asyncio.get_running_loop()
    pipe = Pipe(loop)

    def work() -> ingest.Staged:
        try:
            return ingest.stage(originals=originals, chunks=pipe, max_bytes=max_bytes, limits=limits)
        finally:
            pipe.close_reader()

    job = loop.run_in_executor(pool, work)
    try:
        async for chunk in part.chunks():
            if not await pipe.send(chunk):
                break  # the stage stopped reading (refused the file): its error follows
        else:
            await pipe.finish()
    except BaseException:
        pipe.abort()
        await asyncio.gather(job, return_exceptions=True)  # let its guard clean up first
        raise
    return await job


async def receive(request: Request, *, settings: ApiSettings, originals: Bucket, pool: ThreadPoolExecutor,
                  limits: ImageLimits, batch: bool) -> Received:
    """Read the form, staging each file as it streams in. For one upload the
    first refused file ends the request; in a batch it is recorded and the
    next file is read. Whatever was staged is removed if this fails."""
    limit, error = ((settings.max_batch_bytes, BatchTooLarge) if batch
                    else (settings.max_file_bytes + FORM_OVERHEAD, TooLarge))
    form = FormReader(request.headers.get("content-type"), _bounded(request, limit, error))
    got = Received()
    file_field = "files" if batch else "file"
    try:
        async for part in form.parts():
            if part.filename is None and part.name in FIELDS:
                got.fields[part.name] = await part.text()
            elif part.filename is None or part.name != file_field:
                raise UnexpectedField(f"unexpected part {part.name!r}; files go in {file_field!r}")
            elif not batch and got.files:
                raise UnexpectedField("one file per request; send several to /v1/images/batch")
            elif len(got.files) >= settings.max_files_per_batch:
                raise TooManyFiles(f"at most {settings.max_files_per_batch} files per batch")
            else:
                try:
                    staged = await _stage_part(part, originals=originals, pool=pool,
                                               max_bytes=settings.max_file_bytes, limits=limits)
                    got.files.append((part.filename, staged))
                except FILE_ERRORS as exc:
                    if not batch:
                        raise
                    got.files.append((part.filename, exc))
    except BaseException:
        await discard(originals, got.staged())
        raise
    if not got.files:
        raise MissingFile(f"no file in the {file_field!r} field")
    return got


async def discard(originals: Bucket, staged: list[ingest.Staged]) -> None:
    for item in staged:
        try:
            await run_in_threadpool(originals.remove, item.key)
        except UNAVAILABLE:
            log.warning("could not remove staging object key=%s (the sweeper will)", item.key)


def meta_from(fields: dict[str, str]) -> ingest.Meta:
    try:
        parsed = UploadFields.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        raise InvalidField(f"{where}: {first['msg']}") from None
    return ingest.Meta(title=parsed.title, description=parsed.description, tags=tuple(parsed.tags),
                       visibility=parsed.visibility, keep_gps=parsed.gps, presets=tuple(parsed.presets))


async def upload(request: Request, *, owner: str, org: str | None, settings: ApiSettings, originals: Bucket,
                 images: ImageRepository, bus: EventBus, quotas: Quotas, pool: ThreadPoolExecutor,
                 limits: ImageLimits, batch: bool, idempotency: Attempt | None = None,
                 ) -> list[tuple[str, ingest.Outcome | DarkroomError]]:
    """Receive the form, then commit each staged file. For one file, a refusal
    is raised; in a batch, each file's outcome or refusal is reported. A
    request that says it is bigger than the quota's room is refused before a
    byte is read. With an Idempotency-Key, a request seen before gets its
    first answer again (idempotency.py)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        await run_in_threadpool(quotas.check, account_of(owner, org), int(declared) - FORM_SLACK)
    got = await receive(request, settings=settings, originals=originals, pool=pool, limits=limits,
                        batch=batch)
    try:
        meta = meta_from(got.fields)
        replayed = await idempotency.replay(got) if idempotency else None
    except BaseException:
        await discard(originals, got.staged())
        raise
    if replayed is not None:
        await discard(originals, got.staged())
        return replayed
    results: list[tuple[str, ingest.Outcome | DarkroomError]] = []
    for filename, item in got.files:
        if isinstance(item, DarkroomError):
            results.append((filename, item))
            continue
        try:
            outcome = await run_in_threadpool(
                functools.partial(ingest.commit, originals=originals, images=images, bus=bus, quotas=quotas,
                                  staged=item, owner=owner, org=org, meta=meta,
                                  stale_claim_s=settings.stale_claim_s))
            results.append((filename, outcome))
        except DarkroomError as exc:
            if not batch:
                raise
            results.append((filename, exc))
        except UNAVAILABLE as exc:  # commit's guard has cleaned up; the others still go in
            if not batch:
                raise
            log.warning("commit failed filename=%s error=%s", filename, exc)
            results.append((filename, EngineUnavailable("a storage engine did not answer; retry")))
    return await idempotency.remember(results) if idempotency else results
