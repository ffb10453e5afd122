"""Turn untrusted bytes into a libvips image, at the smallest scale the output
needs, or raise UndecodableImage.

Three phases, so a bomb is refused from its header and no pixel is decoded
that the output does not need:
  probe   the format from the first bytes (schemas.media.sniff, the one list
          of accepted formats), then that format's libvips loader reads the
          header only (loaders are lazy): size, frame count, orientation;
          max_pixels and max_frames are enforced here, before any decode
  load    a lazy image of the first frame (every frame when asked), shrunk on
          load where the codec can: JPEG by 1/2, 1/4 or 1/8 in the DCT, WebP in
          libwebp's decoder
  pixels  pulls the pipeline built on it into memory; libvips checks an
          operation's arguments when it is built and runs it only when pixels
          are pulled, so an error here is the data's, never a step's
"""

import io
import warnings
from dataclasses import dataclass

import pillow_heif
import pyvips
from PIL import Image

from schemas import media
from schemas.media import Format

from . import errors as E
from .vips import LOADERS

# libvips' wheel has no HEVC decoder (a patent-encumbered codec); pillow-heif's
# libheif does, so HEIC pixels come through it. Registering is idempotent; done
# at import so pool workers get it too (and the metadata stage reads HEIC
# through Pillow on the same registration).
pillow_heif.register_heif_opener()

# Fail on libjpeg/libpng/libwebp errors (truncation included), not on warnings
# such as "extraneous bytes before marker" that cameras write and viewers ignore.
_FAIL_ON = "error"
# What libvips' codecs say when the data ends early.
_ENDED_EARLY = ("premature end", "unexpected end", "end of file", "truncated", "not enough data",
                "out of data")


@dataclass(frozen=True)
class Source:
    """What the header says about the original."""

    format: Format
    width: int  # one frame, as stored (before EXIF orientation)
    height: int
    frames: int
    orientation: int  # EXIF 1..8; 1 when absent or invalid
    hevc: bool  # HEIF coded in HEVC: decoded by pillow-heif
    complete: bool  # the data ends with the format's end marker

    @property
    def animated(self) -> bool:
        return self.frames > 1 and self.format in (media.GIF, media.WEBP)

    @property
    def swaps_axes(self) -> bool:
        return self.orientation in (5, 6, 7, 8)

    @property
    def upright(self) -> tuple[int, int]:
        return (self.height, self.width) if self.swaps_axes else (self.width, self.height)


def probe(data: bytes, max_pixels: int, max_frames: int) -> Source:
    """Read the header only and enforce the limits before any decode."""
    if not data:
        raise E.UndecodableImage(E.EMPTY, "zero bytes")
    try:
        fmt = media.sniff(data)
    except media.UnknownFormat:
        raise _unidentified(data) from None
    complete = _ends_whole(fmt, data)
    try:
        header = getattr(pyvips.Image, LOADERS[fmt.name])(data, fail_on=_FAIL_ON)
        fields = set(header.get_fields())
        width = header.width
        height = header.get("page-height") if "page-height" in fields else header.height
        frames = header.get("n-pages") if "n-pages" in fields else 1
        orientation = header.get("orientation") if "orientation" in fields else 1
        hevc = "heif-compression" in fields and header.get("heif-compression") == "hevc"
    except pyvips.Error as exc:
        raise _undecodable(exc, complete, "bad header") from None
    if width < 1 or height < 1:
        raise E.UndecodableImage(E.CORRUPT, f"size {width}x{height}")
    if width * height > max_pixels:
        raise E.UndecodableImage(E.TOO_MANY_PIXELS, f"{width}x{height} is over {max_pixels} pixels")
    if frames > max_frames:
        raise E.UndecodableImage(E.TOO_MANY_FRAMES, f"{frames} frames is over {max_frames}")
    orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1
    return Source(fmt, width, height, frames, orientation, hevc, complete)


def load(data: bytes, src: Source, at_least: tuple[int, int], animated: bool = False) -> pyvips.Image:
    """A lazy image of the first frame (of every frame, as a strip of pages,
    when `animated` and the source is), scaled down on load where the codec
    keeps at least `at_least` pixels (stored orientation, one frame)."""
    if src.hevc:
        return _hevc(data, src)
    options: dict[str, object] = {"fail_on": _FAIL_ON}
    if animated and src.animated:
        options["n"] = -1  # pages are resized one by one: random access
    else:
        options["access"] = "sequential"  # decoded in strips, straight into the resize
    if src.format == media.JPEG:
        options["shrink"] = _jpeg_shrink(src, at_least)
    elif src.format == media.WEBP:
        # libwebp's rescaler averages boxes; leaving it twice the target keeps
        # the final resample (lanczos) doing the visible part of the work.
        scale = 2 * max(at_least[0] / src.width, at_least[1] / src.height)
        if scale < 1:
            options["scale"] = scale
    try:
        return getattr(pyvips.Image, LOADERS[src.format.name])(data, **options)
    except pyvips.Error as exc:
        raise _undecodable(exc, src.complete, "bad header") from None


def pixels(image: pyvips.Image, src: Source) -> pyvips.Image:
    """Run the lazy pipeline on `image` into memory."""
    try:
        return image.copy_memory()
    except pyvips.Error as exc:
        raise _undecodable(exc, src.complete, "bad pixel data") from None


def _jpeg_shrink(src: Source, at_least: tuple[int, int]) -> int:
    """The largest DCT scale (libjpeg rounds sizes up) that keeps `at_least`.
    Decoding 12 MP at 1/4 and resizing to 640 px measured 47 dB PSNR against a
    full decode and the same resize, for 60% of its CPU (bench/ladder.py)."""
    for shrink in (8, 4, 2):
        if -(-src.width // shrink) >= at_least[0] and -(-src.height // shrink) >= at_least[1]:
            return shrink
    return 1


def _hevc(data: bytes, src: Source) -> pyvips.Image:
    """HEIC through pillow-heif (libheif applies HEIF's own rotation and
    mirroring, so no orientation is left to apply), handed to libvips as
    8-bit pixels with its ICC profile."""
    try:
        with Image.open(io.BytesIO(data), formats=[src.format.pillow]) as opened:
            icc = opened.info.get("icc_profile")
            im = opened.convert("RGBA" if "A" in opened.mode else "RGB")
            raw, (width, height), bands = im.tobytes(), im.size, len(im.mode)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        code = E.TRUNCATED if not src.complete or "truncated" in str(exc) else E.CORRUPT
        raise E.UndecodableImage(code, f"bad pixel data: {exc}") from None
    image = pyvips.Image.new_from_memory(raw, width, height, bands, "uchar")
    image = image.copy(interpretation="srgb")
    if icc:
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
    return image


def _ends_whole(fmt: Format, data: bytes) -> bool:
    """Whether the bytes end where the format says its data ends (only
    consulted to tell truncation from corruption once decoding failed)."""
    if fmt == media.JPEG:
        return b"\xff\xd9" in data[-16:]
    if fmt == media.PNG:
        return b"IEND" in data[-16:]
    if fmt == media.GIF:
        return data.rstrip(b"\0")[-1:] == b";"
    if fmt == media.WEBP:
        return int.from_bytes(data[4:8], "little") + 8 <= len(data)
    return True  # ISO-BMFF: boxes say their own sizes; libheif reports a short read


def _undecodable(exc: pyvips.Error, complete: bool, what: str) -> E.UndecodableImage:
    detail = " ".join(f"{exc.message} {exc.detail or ''}".split())
    ended_early = not complete or any(hint in detail.lower() for hint in _ENDED_EARLY)
    return E.UndecodableImage(E.TRUNCATED if ended_early else E.CORRUPT, f"{what}: {detail}")


def _unidentified(data: bytes) -> E.UndecodableImage:
    # Header-only probe with every Pillow plugin (the broadest list of
    # signatures here), just to word the refusal; nothing is decoded.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as other:
                kind = other.format
    except Exception:  # noqa: BLE001 - any failure means "not an image"
        return E.UndecodableImage(E.NOT_AN_IMAGE, "no known image signature")
    return E.UndecodableImage(E.UNSUPPORTED_FORMAT, f"{kind} is not rendered")
