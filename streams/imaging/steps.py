"""Normalising steps, each `step(image, source) -> image`, run in the order of
the tuples below. Every step starts with its no-op check and returns the
image unchanged when it has nothing to do.

BEFORE_RESIZE runs on the decoded image: only what resampling needs.
AFTER_RESIZE runs on the largest variant, so orientation and colour
management touch ~4 MP rather than the full original."""

import functools
import io

from PIL import Image, ImageCms

from .decode import Source

# ---------------------------------------------------------------- before resize


def to_resamplable(im: Image.Image, src: Source) -> Image.Image:
    """Palette, bilevel and 16/32-bit modes cannot be resampled with a
    smoothing filter (Pillow falls back to NEAREST or refuses)."""
    if im.mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return im
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if _has_transparency(im) else "RGB")
    if im.mode == "1":
        return im.convert("L")
    if im.mode.startswith("I") or im.mode == "F":
        # convert("L") would clip 16-bit values at 255; rescale instead.
        top = 65535 if im.mode.startswith("I;16") or im.getextrema()[1] > 255 else 255
        return im.convert("I").point(lambda v: v * (255 / top)).convert("L")
    return im.convert("RGB")  # YCbCr, LAB, HSV, RGBX, ...


def _has_transparency(im: Image.Image) -> bool:
    return im.mode == "PA" or "transparency" in im.info


BEFORE_RESIZE = (to_resamplable,)

# ----------------------------------------------------------------- after resize

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def swaps_axes(orientation: int) -> bool:
    return orientation in (5, 6, 7, 8)


def apply_orientation(im: Image.Image, src: Source) -> Image.Image:
    """Make pixels upright; the tag itself goes with the metadata."""
    if src.orientation not in _TRANSPOSE:
        return im
    return im.transpose(_TRANSPOSE[src.orientation])


_ICC_SPACE = {"RGB": "RGB ", "RGBA": "RGB ", "CMYK": "CMYK", "L": "GRAY", "LA": "GRAY"}


def to_srgb(im: Image.Image, src: Source) -> Image.Image:
    """Convert through the embedded ICC profile. Variants carry no profile
    (strip_metadata), and browsers read untagged images as sRGB."""
    if not src.icc_profile:
        return im
    out_mode = "RGBA" if im.mode in ("RGBA", "LA") else "RGB"
    transform = _transform_to_srgb(src.icc_profile, im.mode, out_mode)
    if transform is None:  # sRGB already, unusable, or mismatched profile
        return im
    return transform.apply(im)


@functools.lru_cache(maxsize=32)
def _transform_to_srgb(icc: bytes, in_mode: str, out_mode: str):
    # Cached: camera and phone profiles repeat (Display P3 on every iPhone
    # photo) and building a transform costs more than applying it to a rung.
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        core = profile.profile
        if core.xcolor_space != _ICC_SPACE.get(in_mode):
            return None
        if "srgb" in (core.profile_description or "").lower():
            return None
        return ImageCms.buildTransform(profile, _SRGB, in_mode, out_mode, ImageCms.Intent.PERCEPTUAL)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken profile is the uploader's problem, not a reason to lose
        # the image: fall back to the plain conversion in to_rgb.
        return None


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_rgb(im: Image.Image, src: Source) -> Image.Image:
    """Variants are RGB, or RGBA when there is alpha."""
    if im.mode in ("RGB", "RGBA"):
        return im
    return im.convert("RGBA" if im.mode in ("LA", "La", "RGBa", "PA") else "RGB")


def drop_opaque_alpha(im: Image.Image, src: Source) -> Image.Image:
    """An alpha channel that is 255 everywhere only costs bytes and time."""
    if im.mode != "RGBA" or im.getchannel("A").getextrema()[0] < 255:
        return im
    return im.convert("RGB")


def strip_metadata(im: Image.Image, src: Source) -> Image.Image:
    """EXIF (GPS!), XMP, comments and the ICC profile stay with the original
    only. Encoders read some of these from im.info, so empty it."""
    if not im.info:
        return im
    im.info = {}
    return im


AFTER_RESIZE = (apply_orientation, to_srgb, to_rgb, drop_opaque_alpha, strip_metadata)


def run(steps, im: Image.Image, src: Source) -> Image.Image:
    for step in steps:
        im = step(im, src)
    return im
