"""How a stage reads an upload's original: the one place that decides what
a missing image or a missing object means."""

from __future__ import annotations

import asyncio

from cassandra.cluster import Session
from minio import Minio

from connectors import minio, records
from schemas.events import ImageUploaded
from streams.errors import Poison


async def read(event: ImageUploaded, store: Minio, bucket: str, db: Session) -> bytes | None:
    """The original's bytes; None when the image was deleted (before or while
    we read: a delete removes objects first, then the record). An original
    missing while its record exists is poison: no retry can bring it back."""
    if await asyncio.to_thread(records.get, db, event.image_id) is None:
        return None
    data = await asyncio.to_thread(minio.get_bytes_if_present, store, bucket, event.original_key)
    if data is not None:
        return data
    if await asyncio.to_thread(records.get, db, event.image_id) is None:
        return None
    raise Poison("original_missing", f"the original {event.original_key} is not in the store")
