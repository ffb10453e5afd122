"""The edits an on-demand transform may ask for, each `step(image, transform)`
with its no-op check first (a ladder's Transform asks for none, so the
ladder's bytes do not change). They run last in steps.IN_MEMORY, in this
order, on the resized, upright, sRGB image in memory:

  crop       cut the Transform's box, by compass point or `smart`
  rotate     by quarter turns, clockwise
  flip       mirror left-right and/or top-bottom
  adjust     brightness and contrast, one linear map of the colour bands
  blur       gaussian
  sharpen    libvips' unsharp mask on lightness
  watermark  the prepared mark laid over each frame

Anything that moves pixels or reads their neighbours works frame by frame
(pages.per_page), so an animation stays an animation and no frame bleeds
into the next. Colour work leaves alpha alone and premultiplies around a
blur, so transparent pixels lend no colour to visible ones.
"""

from collections.abc import Callable

import pyvips

from .model import Crop, Transform
from .pages import page_height, per_page

Step = Callable[[pyvips.Image, Transform], pyvips.Image]

_COMPASS = {"c": (1, 1), "n": (1, 0), "ne": (2, 0), "e": (2, 1), "se": (2, 2), "s": (1, 2), "sw": (0, 2),
            "w": (0, 1), "nw": (0, 0)}  # (x, y) in halves of the slack: 0 left/top, 1 centre, 2 right/bottom


def box(width: int, height: int, inner: tuple[int, int], gravity: str, margin: int = 0) -> tuple[int, int]:
    """Left and top of an `inner` box placed at a compass point of width x height."""
    gx, gy = _COMPASS[gravity]
    left = [margin, (width - inner[0]) // 2, width - inner[0] - margin][gx]
    top = [margin, (height - inner[1]) // 2, height - inner[1] - margin][gy]
    return max(0, left), max(0, top)


def crop(image: pyvips.Image, t: Transform) -> pyvips.Image:
    if t.crop is None or (image.width, page_height(image)) == (t.crop.width, t.crop.height):
        return image
    return per_page(image, _cropper(image, t.crop))


def _cropper(image: pyvips.Image, c: Crop) -> Callable[[pyvips.Image], pyvips.Image]:
    page = page_height(image)
    if c.gravity == "smart" and page == image.height:
        return lambda frame: frame.smartcrop(c.width, c.height, interesting="attention")
    # Animations: one box for every frame (a box that moves would make the picture shake).
    left, top = box(image.width, page, (c.width, c.height), "c" if c.gravity == "smart" else c.gravity)
    return lambda frame: frame.crop(left, top, c.width, c.height)


def rotate(image: pyvips.Image, t: Transform) -> pyvips.Image:
    if t.rotate == 0:
        return image
    angle = {90: "d90", 180: "d180", 270: "d270"}[t.rotate]
    return per_page(image, lambda frame: frame.rot(angle))


def flip(image: pyvips.Image, t: Transform) -> pyvips.Image:
    if not t.flip:
        return image

    def mirrored(frame: pyvips.Image) -> pyvips.Image:
        if "h" in t.flip:
            frame = frame.flip("horizontal")
        if "v" in t.flip:
            frame = frame.flip("vertical")
        return frame
    return per_page(image, mirrored)


def adjust(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """out = (in - 128) * (1 + contrast/100) + 128 + 2.55 * brightness, clipped."""
    if t.brightness == 0 and t.contrast == 0:
        return image
    slope = 1 + t.contrast / 100
    offset = 128 * (1 - slope) + 255 * t.brightness / 100
    colours = image.bands - (1 if image.hasalpha() else 0)
    alpha = image.bands - colours
    out = image.linear([slope] * colours + [1.0] * alpha, [offset] * colours + [0.0] * alpha)
    return out.cast("uchar").copy(interpretation=image.interpretation)


def blur(image: pyvips.Image, t: Transform) -> pyvips.Image:
    if not t.blur:
        return image

    def blurred(frame: pyvips.Image) -> pyvips.Image:
        if not frame.hasalpha():
            return frame.gaussblur(t.blur)
        return frame.premultiply().gaussblur(t.blur).unpremultiply().cast("uchar")
    return per_page(image, blurred)


def sharpen(image: pyvips.Image, t: Transform) -> pyvips.Image:
    if not t.sharpen:
        return image
    return per_page(image, lambda frame: frame.sharpen(sigma=t.sharpen).cast("uchar"))


def watermark(image: pyvips.Image, t: Transform) -> pyvips.Image:
    mark = t.watermark
    if mark is None:
        return image
    over = (pyvips.Image.new_from_memory(mark.rgba, mark.width, mark.height, 4, "uchar")
            .copy(interpretation="srgb"))
    return per_page(image, lambda frame: frame.composite2(over, "over", x=mark.left, y=mark.top)
                    .cast("uchar"))


EDITS: tuple[Step, ...] = (crop, rotate, flip, adjust, blur, sharpen, watermark)
