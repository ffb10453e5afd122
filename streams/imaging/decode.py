"""Turn untrusted bytes into a loaded Pillow image, at the smallest scale the
ladder needs, or raise UndecodableImage.

Two phases so a pixel bomb is refused from its header: `open_image` parses
headers only (no pixel memory), `load_scaled` then decodes, asking libjpeg to
scale down by 1/2, 1/4 or 1/8 in the DCT when that still leaves at least the
largest variant's size (Image.draft); other formats decode at full size."""

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image

from schemas.media import PILLOW_PLUGINS

from . import errors as E

# Registering is idempotent; done at import so pool workers get it too.
pillow_heif.register_heif_opener()

_ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class Source:
    """Facts about the original that the normalising steps need."""

    format: str
    orientation: int  # EXIF 1..8; 1 when absent or invalid
    icc_profile: bytes | None
    animated: bool


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Parse the header only and enforce max_pixels before any decode."""
    if not data:
        raise E.UndecodableImage(E.EMPTY, "zero bytes")
    with warnings.catch_warnings():
        # We enforce our own limit below; Pillow's global one stays a backstop.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=PILLOW_PLUGINS)
        except Image.DecompressionBombError as exc:
            raise E.UndecodableImage(E.TOO_MANY_PIXELS, str(exc)) from None
        except Image.UnidentifiedImageError:
            raise _unidentified(data) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise E.UndecodableImage(E.CORRUPT, f"bad header: {exc}") from None
    width, height = im.size
    if width < 1 or height < 1:
        raise E.UndecodableImage(E.CORRUPT, f"size {width}x{height}")
    if width * height > max_pixels:
        raise E.UndecodableImage(E.TOO_MANY_PIXELS, f"{width}x{height} is over {max_pixels} pixels")
    return im


def _unidentified(data: bytes) -> E.UndecodableImage:
    # Header-only probe with every plugin, just to word the refusal;
    # nothing is decoded.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as other:
                kind = other.format
    except Exception:  # noqa: BLE001 - any failure means "not an image"
        return E.UndecodableImage(E.NOT_AN_IMAGE, "no known image signature")
    return E.UndecodableImage(E.UNSUPPORTED_FORMAT, f"{kind} is not rendered")


def load_scaled(im: Image.Image, at_least: tuple[int, int]) -> Source:
    """Decode the first frame, scaled down by the decoder where it can keep
    at least `at_least` pixels (same orientation as im.size). Mutates im."""
    animated = bool(getattr(im, "is_animated", False))
    if im.format == "JPEG" and at_least != im.size:
        im.draft(None, at_least)
    try:
        im.seek(0)
        im.load()
    except EOFError as exc:
        raise E.UndecodableImage(E.TRUNCATED, str(exc) or "early end") from None
    except OSError as exc:
        code = E.TRUNCATED if "truncated" in str(exc) else E.CORRUPT
        raise E.UndecodableImage(code, str(exc)) from None
    except (SyntaxError, ValueError, IndexError, TypeError, ZeroDivisionError) as exc:
        # Pillow's parsers raise these on malformed pixel data (fuzzing finds
        # them all); they are properties of the bytes, not of our code.
        raise E.UndecodableImage(E.CORRUPT, f"{type(exc).__name__}: {exc}") from None
    return Source(
        format=im.format or "unknown",
        orientation=_orientation(im),
        icc_profile=im.info.get("icc_profile") or None,
        animated=animated,
    )


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - broken EXIF must not lose the image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
