"""Albums and their images, in order, in Cassandra. Every method blocks.

An album belongs to an account (`user:<name>` or `org:<id>`, see
connectors/usage.py). Positions are sparse integers (a gap of STEP between
neighbours), so moving an image between two others rewrites one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.cassandra import Cassandra

STEP = 1 << 20


@dataclass(frozen=True)
class Album:
    id: str
    account: str
    name: str
    created_by: str
    created_at: datetime


_CREATE = ("INSERT INTO albums (id, account, name, created_by, created_at) VALUES (?, ?, ?, ?, ?) "
           "IF NOT EXISTS")
_BY_ACCOUNT = "INSERT INTO albums_by_account (account, id) VALUES (?, ?)"
_GET = "SELECT id, account, name, created_by, created_at FROM albums WHERE id = ?"
_RENAME = "UPDATE albums SET name = ? WHERE id = ? IF EXISTS"
_LIST_FIRST = "SELECT id FROM albums_by_account WHERE account = ?"
_LIST_AFTER = "SELECT id FROM albums_by_account WHERE account = ? AND id < ?"
_DELETE = "DELETE FROM albums WHERE id = ?"
_DELETE_BY_ACCOUNT = "DELETE FROM albums_by_account WHERE account = ? AND id = ?"
_PUT_IMAGE = "INSERT INTO album_images (album, position, image_id) VALUES (?, ?, ?)"
_PUT_IMAGE_ALBUM = "INSERT INTO image_albums (image_id, album, position) VALUES (?, ?, ?)"
_DROP_IMAGE = "DELETE FROM album_images WHERE album = ? AND position = ?"
_DROP_IMAGE_ALBUM = "DELETE FROM image_albums WHERE image_id = ? AND album = ?"
_IMAGES = "SELECT position, image_id FROM album_images WHERE album = ?"
_IMAGES_AFTER = "SELECT position, image_id FROM album_images WHERE album = ? AND position > ?"
_LAST = "SELECT position FROM album_images WHERE album = ? ORDER BY position DESC LIMIT 1"
_POSITION = "SELECT position FROM image_albums WHERE image_id = ? AND album = ?"
_OF_IMAGE = "SELECT album FROM image_albums WHERE image_id = ?"
_DROP_ALBUM_IMAGES = "DELETE FROM album_images WHERE album = ?"


def _album(row) -> Album:
    created = row.created_at.replace(tzinfo=UTC) if row.created_at else datetime.now(UTC)
    return Album(row.id, row.account, row.name, row.created_by, created)


class Albums:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def create(self, album: Album) -> None:
        self._db.execute(_CREATE, (album.id, album.account, album.name, album.created_by, album.created_at))
        self._db.execute(_BY_ACCOUNT, (album.account, album.id))

    def get(self, album_id: str) -> Album | None:
        row = self._db.execute(_GET, (album_id,)).one()
        return _album(row) if row is not None else None

    def rename(self, album_id: str, name: str) -> bool:
        return bool(self._db.execute(_RENAME, (name, album_id)).one().applied)

    def of_account(self, account: str, cursor: str | None, limit: int) -> tuple[list[Album], str | None]:
        """Newest first, `limit` after the album id `cursor`."""
        rows = (self._db.execute(_LIST_FIRST, (account,), fetch_size=limit + 1) if cursor is None
                else self._db.execute(_LIST_AFTER, (account, cursor), fetch_size=limit + 1))
        ids = []
        for row in rows:
            ids.append(row.id)
            if len(ids) > limit:
                break
        more, ids = len(ids) > limit, ids[:limit]
        found = [a for a in (self.get(i) for i in ids) if a is not None]
        return found, ids[-1] if more and ids else None

    def delete(self, album: Album) -> list[str]:
        """Remove the album (its images stay); returns the image ids it held."""
        image_ids = [image_id for _, image_id in self.images(album.id)]
        for image_id in image_ids:
            self._db.execute(_DROP_IMAGE_ALBUM, (image_id, album.id))
        self._db.batch((_DELETE, (album.id,)), (_DELETE_BY_ACCOUNT, (album.account, album.id)),
                       (_DROP_ALBUM_IMAGES, (album.id,)))
        return image_ids

    def images(self, album_id: str, after: int | None = None,
               limit: int | None = None) -> list[tuple[int, str]]:
        """(position, image id) in album order."""
        rows = (self._db.execute(_IMAGES, (album_id,)) if after is None
                else self._db.execute(_IMAGES_AFTER, (album_id, after)))
        out = []
        for row in rows:
            out.append((row.position, row.image_id))
            if limit is not None and len(out) >= limit:
                break
        return out

    def add(self, album_id: str, image_id: str) -> bool:
        """Append the image; False when it is in the album already."""
        if self._db.execute(_POSITION, (image_id, album_id)).one() is not None:
            return False
        last = self._db.execute(_LAST, (album_id,)).one()
        self._place(album_id, image_id, (last.position if last else 0) + STEP)
        return True

    def remove(self, album_id: str, image_id: str) -> bool:
        row = self._db.execute(_POSITION, (image_id, album_id)).one()
        if row is None:
            return False
        self._db.batch((_DROP_IMAGE, (album_id, row.position)), (_DROP_IMAGE_ALBUM, (image_id, album_id)))
        return True

    def reorder(self, album_id: str, image_ids: list[str]) -> None:
        """Put the album's images in this order (ids not in the album are ignored,
        images left out keep their place after the listed ones)."""
        current = [i for _, i in self.images(album_id)]
        wanted = [i for i in image_ids if i in set(current)]
        order = wanted + [i for i in current if i not in set(wanted)]
        for _, image_id in self.images(album_id):
            self.remove(album_id, image_id)
        for n, image_id in enumerate(order, 1):
            self._place(album_id, image_id, n * STEP)

    def of_image(self, image_id: str) -> list[str]:
        return sorted(r.album for r in self._db.execute(_OF_IMAGE, (image_id,)))

    def _place(self, album_id: str, image_id: str, position: int) -> None:
        self._db.batch((_PUT_IMAGE, (album_id, position, image_id)),
                       (_PUT_IMAGE_ALBUM, (image_id, album_id, position)))
