"""Metadata of an original, from its bytes: pure, no engines.

`extract(data, keep_gps)` returns (ImageMetadata, skipped). Which library
reads which field:

- Pillow (with pillow-heif for HEIC/HEIF, registered below):
  the true MIME type (`get_format_mimetype`, from the bytes' signature),
  pixel dimensions, animation frame count (`n_frames`), the EXIF block of
  every format (`info["exif"]`; for HEIF, pillow-heif moves the orientation
  to `info["original_orientation"]` as libheif applies it itself), the ICC
  profile's description (ImageCms.getProfileDescription) and IPTC caption,
  keywords, copyright and creator (IptcImagePlugin.getiptcinfo, JPEG APP13).
- exifread, on that EXIF block: camera make and model, lens, exposure time,
  aperture, ISO, focal length, date taken with its time zone offset
  (OffsetTimeOriginal), orientation, software, and GPS latitude, longitude
  (exifread.utils.get_gps_coords) and altitude.
- Ours: the byte size, width and height after orientation, and the checks
  that refuse values no camera writes (values.py, exif.py).

A field that is present but broken, absurd or too large is left out and
listed in `skipped` with the reason; nothing in a file makes this raise.
GPS is always read but dropped, with its skip reasons, unless `keep_gps`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms

from schemas.events import ImageMetadata, SkippedField
from schemas.media import PILLOW_PLUGINS
from streams.extract import exif, iptc
from streams.extract.values import Facts, Unreadable, text, whole, within

pillow_heif.register_heif_opener()  # HEIC/HEIF for Pillow (idempotent); AVIF is Pillow's own


@dataclass(frozen=True)
class TextLimits:
    max_text_chars: int = 2000  # IPTC's own limit for a caption
    max_keywords: int = 100
    max_keyword_chars: int = 64  # IPTC's own limit for a keyword


def extract(data: bytes, keep_gps: bool,
            limits: TextLimits = TextLimits()) -> tuple[ImageMetadata, list[SkippedField]]:
    facts = Facts(values={"byte_size": len(data)})
    try:
        im = _open(data)
    except Unreadable as exc:
        facts.skip("image", str(exc))
        return ImageMetadata(**facts.values), facts.skipped
    with im:
        facts.values["mime_type"] = im.get_format_mimetype()
        _exif(im, facts, keep_gps, limits)
        _dimensions(im, facts)
        _frames(im, facts)
        _icc(im, facts, limits)
        _iptc(im, facts, limits)
    return ImageMetadata(**facts.values), facts.skipped


def _open(data: bytes) -> Image.Image:
    """Headers only: no pixel is decoded for metadata."""
    if not data:
        raise Unreadable("zero bytes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning: we never decode pixels here
        try:
            return Image.open(io.BytesIO(data), formats=PILLOW_PLUGINS)
        except Image.UnidentifiedImageError:
            raise Unreadable("not an image in a format Darkroom reads") from None
        except Exception as exc:  # noqa: BLE001 - a plugin's header parser may raise anything on hostile bytes
            raise Unreadable(f"unreadable header: {type(exc).__name__}") from None


def _exif(im: Image.Image, facts: Facts, keep_gps: bool, limits: TextLimits) -> None:
    block = im.info.get("exif")
    if isinstance(block, bytes) and block:
        try:
            tags = exif.parse(block)
        except Exception as exc:  # noqa: BLE001 - exifread may raise anything on a hostile block
            facts.skip("exif", f"unreadable EXIF block: {type(exc).__name__}")
            tags = {}
        if not tags and not facts.skipped:
            facts.skip("exif", "no readable tag in the EXIF block")
        exif.read(tags, facts, limits.max_text_chars)
        _gps(tags, facts, keep_gps)
    if "original_orientation" in im.info:  # HEIF: pillow-heif reset the tag to 1, kept the original here
        facts.values.pop("orientation", None)
        facts.read("orientation", im.info["original_orientation"], within(1, 8), whole)


def _gps(tags: dict, facts: Facts, keep_gps: bool) -> None:
    seen = len(facts.skipped)
    location = exif.gps(tags, facts)
    if keep_gps:
        if location is not None:
            facts.values["gps"] = location
    else:  # not even why it was unreadable: the uploader did not share the location
        del facts.skipped[seen:]


def _dimensions(im: Image.Image, facts: Facts) -> None:
    width, height = im.size
    # libheif applies HEIF's own rotation when it reads: its size is already upright.
    if im.format != "HEIF" and facts.values.get("orientation") in (5, 6, 7, 8):
        width, height = height, width
    facts.values["width"], facts.values["height"] = width, height


def _frames(im: Image.Image, facts: Facts) -> None:
    try:
        frames = int(getattr(im, "n_frames", 1))  # GIF and WebP: walks the frames' headers
    except Exception as exc:  # noqa: BLE001 - a truncated or hostile animation must not lose the rest
        facts.skip("frames", f"frames unreadable: {type(exc).__name__}")
        return
    facts.values["frames"] = max(frames, 1)


def _icc(im: Image.Image, facts: Facts, limits: TextLimits) -> None:
    profile = im.info.get("icc_profile")
    if not profile:
        return
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile)))
    except Exception as exc:  # noqa: BLE001 - LittleCMS refusing a profile is a property of the bytes
        facts.skip("icc_profile", f"unreadable ICC profile: {type(exc).__name__}")
        return
    facts.read("icc_profile", description, text(limits.max_text_chars))


def _iptc(im: Image.Image, facts: Facts, limits: TextLimits) -> None:
    try:
        info = iptc.parse(im)
    except Exception as exc:  # noqa: BLE001 - Pillow's IPTC parser may raise anything on a hostile block
        facts.skip("iptc", f"unreadable IPTC block: {type(exc).__name__}")
        return
    iptc.read(info, facts, limits.max_text_chars, limits.max_keywords, limits.max_keyword_chars)
