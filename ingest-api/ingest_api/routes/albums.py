"""Albums and their images. Thin: parse, call the core (ingest_api/albums.py,
catalog.py) in a worker thread, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from ingest_api import albums as core
from ingest_api import catalog, cursors, ids
from ingest_api.access import Permission, permission
from ingest_api.deps import AlbumsRepo, Changes, Editor, Images, OrgsRepo, SharingRepo, Urls
from ingest_api.errors import InvalidCursor
from ingest_api.models import AlbumImagesIn, AlbumIn, AlbumOut, AlbumPage, AlbumRename, ErrorBody, ImagePage
from ingest_api.propagation import UPDATED

router = APIRouter(prefix="/v1/albums", tags=["albums"])
_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 429, 503)}
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


def album_out(album) -> AlbumOut:
    return AlbumOut(id=album.id, name=album.name, account=album.account, created_by=album.created_by,
                    created_at=album.created_at)


@router.post("", summary="Create an album", status_code=201, response_model=AlbumOut, responses=_ERRORS)
async def create_album(body: AlbumIn, viewer: Editor, albums: AlbumsRepo, orgs: OrgsRepo) -> AlbumOut:
    return album_out(await run_in_threadpool(lambda: core.create(albums=albums, orgs=orgs, viewer=viewer,
                                                                 name=body.name, org=body.org)))


@router.get("", summary="List your albums, or an organization's", response_model=AlbumPage,
            responses=_ERRORS)
async def list_albums(viewer: Editor, albums: AlbumsRepo, limit: Limit = 50, cursor: Cursor = None,
                      org: Annotated[str | None, Query(max_length=64)] = None) -> AlbumPage:
    after = cursors.decode(cursor) if cursor else None
    if after is not None and not (isinstance(after, str) and ids.is_valid(after)):
        raise InvalidCursor("the cursor is not one this API made")
    found, last = await run_in_threadpool(albums.of_account, core.account_for(viewer, org), after, limit)
    return AlbumPage(items=[album_out(a) for a in found], next_cursor=cursors.encode(last) if last else None)


@router.patch("/{album_id}", summary="Rename an album", response_model=AlbumOut, responses=_ERRORS)
async def rename_album(album_id: str, body: AlbumRename, viewer: Editor, albums: AlbumsRepo) -> AlbumOut:
    def rename():
        album = core.get(albums=albums, viewer=viewer, album_id=album_id, need=core.MANAGE)
        albums.rename(album.id, body.name)
        return albums.get(album.id)
    return album_out(await run_in_threadpool(rename))


@router.delete("/{album_id}", summary="Delete an album (its images stay)", status_code=204,
               response_class=Response, responses=_ERRORS)
async def delete_album(album_id: str, viewer: Editor, albums: AlbumsRepo, changes: Changes) -> Response:
    def delete() -> None:
        album = core.get(albums=albums, viewer=viewer, album_id=album_id, need=core.MANAGE)
        pending = [changes.record(image_id, UPDATED) for _, image_id in albums.images(album.id)]
        albums.delete(album)
        for change in pending:
            changes.run(change)  # search drops the album from each image
    await run_in_threadpool(delete)
    return Response(status_code=204)


@router.get("/{album_id}/images", summary="An album's images, in order", response_model=ImagePage,
            responses=_ERRORS)
async def album_images(album_id: str, viewer: Editor, albums: AlbumsRepo, images: Images,
                       sharing: SharingRepo, urls: Urls, limit: Limit = 50,
                       cursor: Cursor = None) -> ImagePage:
    """Only the images you may see."""
    def page() -> ImagePage:
        core.get(albums=albums, viewer=viewer, album_id=album_id)
        after = cursors.decode(cursor) if cursor else None
        if after is not None and not isinstance(after, int):
            raise InvalidCursor("the cursor is not one this API made")
        entries = albums.images(album_id, after, limit + 1)
        items = []
        for _, image_id in entries[:limit]:
            record = images.get(image_id)
            if record is not None and not record.deleted and permission(
                    record, viewer, sharing.collaborators(image_id)) >= Permission.VIEW:
                items.append(urls.image_out(record))
        more = len(entries) > limit
        return ImagePage(items=items, next_cursor=cursors.encode(entries[limit - 1][0]) if more else None)
    return await run_in_threadpool(page)


@router.post("/{album_id}/images", summary="Add, remove or reorder an album's images",
             response_model=list[str], responses=_ERRORS)
async def change_album_images(album_id: str, body: AlbumImagesIn, viewer: Editor, albums: AlbumsRepo,
                              images: Images, sharing: SharingRepo, changes: Changes) -> list[str]:
    """Members add and remove images they may edit; owners and admins reorder. Answers the album's
    image ids in order."""
    def change() -> list[str]:
        album = core.get(albums=albums, viewer=viewer, album_id=album_id,
                         need=core.MANAGE if body.order is not None else core.ADD)
        for image_id, add in [*((i, True) for i in body.add), *((i, False) for i in body.remove)]:
            record, _ = catalog.access(images=images, sharing=sharing, viewer=viewer, image_id=image_id,
                                       need=Permission.EDIT)
            change = changes.record(record.id, UPDATED)  # the image's albums go to search
            if add:
                albums.add(album.id, record.id)
            else:
                albums.remove(album.id, record.id)
            changes.run(change)
        if body.order is not None:
            albums.reorder(album.id, body.order)
        return [image_id for _, image_id in albums.images(album.id)]
    return await run_in_threadpool(change)
