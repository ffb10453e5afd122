"""How a stage reads an upload's original: the one place that decides what
a missing image or a missing object means."""

from __future__ import annotations

import asyncio

from connectors.minio import Bucket
from connectors.records import ImageRepository
from schemas.events import ImageUploaded
from streams.errors import Poison


async def read(event: ImageUploaded, originals: Bucket, images: ImageRepository) -> bytes | None:
    """The original's bytes; None when the image was deleted (before or while
    we read: a delete removes objects first, then the record). An original
    missing while its record exists is poison: no retry can bring it back."""
    if await asyncio.to_thread(images.get, event.image_id) is None:
        return None
    data = await asyncio.to_thread(originals.get_if_present, event.original_key)
    if data is not None:
        return data
    if await asyncio.to_thread(images.get, event.image_id) is None:
        return None
    raise Poison("original_missing", f"the original {event.original_key} is not in the store")
