"""Frames of an animation: libvips loads one as a strip of pages, one under
the other (`page-height` says how tall each is). Steps that look at
neighbouring pixels or move them (resize, crop, turn, blur, watermark)
work page by page, so no frame bleeds into the next."""

from collections.abc import Callable

import pyvips


def page_height(image: pyvips.Image) -> int:
    """Height of one frame: animations are loaded as a strip of pages."""
    if "page-height" not in image.get_fields():
        return image.height
    page = image.get("page-height")
    return page if isinstance(page, int) and page > 0 and image.height % page == 0 else image.height


def per_page(image: pyvips.Image, work: Callable[[pyvips.Image], pyvips.Image]) -> pyvips.Image:
    """`work` on each frame, the results joined again as a strip (every frame
    must come out the same size, as every step here makes them)."""
    page = page_height(image)
    if page == image.height:
        return work(image)
    pages = [work(image.crop(0, top, image.width, page)) for top in range(0, image.height, page)]
    out = pyvips.Image.arrayjoin(pages, across=1).copy()
    out.set_type(pyvips.GValue.gint_type, "page-height", pages[0].height)
    return out


def orientation(image: pyvips.Image) -> int:
    value = image.get("orientation") if "orientation" in image.get_fields() else 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
