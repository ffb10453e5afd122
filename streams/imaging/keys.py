"""Object-store keys for variants.

    v/<image_id>/<width>x<height>-<sha256[:16]>.<ext>

Content-addressed within the image's prefix: the same bytes always get the
same key, so a redelivered event rewrites nothing (PUT-if-absent or an
overwrite with identical bytes), and a changed encoder yields new keys that
caches can keep forever (immutable URLs). The image prefix makes deleting an
image one prefix listing, with no reference counting across images. 64 bits
of digest are plenty inside one image's handful of keys."""

import re

from .model import Rendition

_IMAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def variant_key(image_id: str, rendition: Rendition) -> str:
    if not _IMAGE_ID.fullmatch(image_id):
        # ids land in object paths: no slashes, dots or empties
        raise ValueError(f"image id {image_id!r} is not [A-Za-z0-9_-]{{1,128}}")
    return f"v/{image_id}/{rendition.width}x{rendition.height}-{rendition.sha256[:16]}.{rendition.extension}"
