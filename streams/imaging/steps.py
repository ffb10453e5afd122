"""The steps of a render, each `step(image, transform) -> image` on a libvips
image, run in the order of the tuples below. Every step starts with its
no-op check and returns the image unchanged when it has nothing to do. The
ladder and a single on-demand render run the same steps; only the Transform
differs (model.py).

ON_LOAD is built on the lazily decoded original: resize first, so colour
management touches the output's pixels (~3 MP for the largest variant), never
the original's. Nothing runs until decode.pixels pulls the result: libvips
then decodes, resizes and converts in one pass over strips of the original.
IN_MEMORY runs on that top rung: turning needs random access, which a
decoder streaming strips cannot give ("out of order read"). It ends with
the edits an on-demand transform may ask for (edits.EDITS: crop, rotate,
flip, brightness and contrast, blur, sharpen, watermark), which a ladder's
Transform never does.
CASCADE makes each smaller rung from the one above it, in memory.
FINISH fits a rung to one output format, just before it is encoded."""

from collections.abc import Callable, Iterable
from typing import cast

import pyvips

from . import edits, icc
from .model import ANIMATABLE, WITH_ALPHA, Transform
from .pages import orientation, page_height, per_page

Step = Callable[[pyvips.Image, Transform], pyvips.Image]

# ------------------------------------------------------------------ geometry

KERNEL = "lanczos3"  # libvips box-shrinks first when the ratio is >= 2 * gap
GAP = 2.0


def resize(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """To the Transform's size exactly. Its size is upright, the image may
    still be stored turned (apply_orientation comes after, on fewer pixels).
    Alpha is premultiplied around the resample, so the colour of transparent
    pixels cannot bleed into visible edges; an animation is resized page by
    page, so no frame bleeds into the next."""
    width, height = (t.height, t.width) if orientation(image) in (5, 6, 7, 8) else (t.width, t.height)
    if (image.width, page_height(image)) == (width, height):
        return image
    return per_page(image, lambda page: _resize_one(page, width, height))


def _resize_one(image: pyvips.Image, width: int, height: int) -> pyvips.Image:
    hscale, vscale = width / image.width, height / image.height
    if not image.hasalpha():
        out = image.resize(hscale, vscale=vscale, kernel=KERNEL, gap=GAP)
    else:
        out = (image.premultiply().resize(hscale, vscale=vscale, kernel=KERNEL, gap=GAP)
               .unpremultiply().cast(image.format))
    if (out.width, out.height) != (width, height):  # libvips rounds to nearest: a bug if ever seen
        raise RuntimeError(f"resize gave {out.width}x{out.height}, not {width}x{height}")
    return out


def apply_orientation(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """Make pixels upright from the EXIF orientation (libvips drops the tag).
    Animations keep their frames as they are: GIF has no EXIF, and a strip
    of pages cannot be turned as one image."""
    if orientation(image) == 1 or page_height(image) != image.height:
        return image
    return image.autorot()


# -------------------------------------------------------------------- colour


def to_srgb(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """Outputs are 8-bit sRGB, with alpha when there is some, and carry no
    profile (strip_metadata): browsers read untagged images as sRGB. So an
    embedded profile is converted from (sRGB's own is skipped: an identity
    that costs ~20 ms on the top rung), CMYK without one goes through libvips'
    built-in CMYK profile, grey and 16-bit are converted without one."""
    profile = _profile(image)
    foreign = profile is not None and not icc.is_srgb(profile)
    if image.interpretation == "srgb" and image.format == "uchar" and not foreign:
        return image
    if foreign:
        # A profile that is broken or does not fit the pixels is ignored by
        # libvips (it warns): the uploader's problem, not a reason to fail.
        image = image.icc_transform("srgb", embedded=True, intent="perceptual", depth=8)
    elif image.interpretation == "cmyk":
        image = image.icc_transform("srgb", input_profile="cmyk", intent="perceptual", depth=8)
    if image.interpretation != "srgb":
        image = image.colourspace("srgb")  # grey, 16-bit: scaled, not clipped
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def _profile(image: pyvips.Image) -> bytes | None:
    if "icc-profile-data" not in image.get_fields():
        return None
    data = image.get("icc-profile-data")
    return bytes(data) if isinstance(data, bytes | bytearray | memoryview) and data else None


# ------------------------------------------------------------------ metadata

# What an encoder needs besides pixels: the frame layout of an animation.
_KEEP = frozenset({"page-height", "delay", "loop"})
# The header proper, which is not metadata and cannot be removed.
_CORE = frozenset({"width", "height", "bands", "format", "coding", "interpretation", "xoffset",
                   "yoffset", "xres", "yres", "filename"})


def strip_metadata(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """EXIF (GPS!), XMP, IPTC, comments and the ICC profile stay with the
    original only; the encoders are also told to keep nothing (encode.py)."""
    names = [n for n in image.get_fields() if n not in _KEEP and n not in _CORE]
    if not names:
        return image
    image = image.copy()  # metadata belongs to an image: change a copy
    for name in names:
        image.remove(name)
    return image


# -------------------------------------------------------------------- format


def first_frame(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """Formats that cannot animate, and animations not asked for, get the
    first frame."""
    page = page_height(image)
    if page == image.height or (t.animated and t.format in ANIMATABLE):
        return image
    image = image.crop(0, 0, image.width, page).copy()
    for name in _KEEP & set(image.get_fields()):
        image.remove(name)
    return image


def drop_opaque_alpha(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """An alpha channel that is 255 everywhere only costs bytes and time.
    Reads pixels: runs on rungs in memory."""
    if not image.hasalpha() or cast(float, image[image.bands - 1].min()) < 255:
        return image
    return image.extract_band(0, n=image.bands - 1)


def flatten(image: pyvips.Image, t: Transform) -> pyvips.Image:
    """JPEG has no alpha: composite on the background colour (white by
    default, what most pages sit on) instead of letting transparent pixels
    show whatever RGB they happen to hold."""
    if t.format in WITH_ALPHA or not image.hasalpha():
        return image
    return image.flatten(background=list(t.background))


ON_LOAD: tuple[Step, ...] = (resize, to_srgb)
IN_MEMORY: tuple[Step, ...] = (apply_orientation, strip_metadata, *edits.EDITS)
CASCADE: tuple[Step, ...] = (resize,)
FINISH: tuple[Step, ...] = (first_frame, drop_opaque_alpha, flatten)


def run(steps: Iterable[Step], image: pyvips.Image, t: Transform) -> pyvips.Image:
    for step in steps:
        image = step(image, t)
    return image
