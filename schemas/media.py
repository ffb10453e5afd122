"""What Darkroom takes as an image, decided once for the API and every stage:
the formats (recognised from the bytes, never from a name or declared type)
and the limits checked from the header before anything is decoded.

`ImageUploaded.mime_type` is always one of FORMATS' MIME types.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SNIFF_BYTES = 64  # enough for every signature below, ISO-BMFF brands included
HEVC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}  # HEIF holding HEVC: "HEIC"
HEIF_BRANDS = {b"mif1", b"msf1"}  # HEIF of unspecified coding
AVIF_BRANDS = {b"avif", b"avis"}


@dataclass(frozen=True)
class Format:
    name: str  # what Darkroom calls it
    pillow: str  # Pillow's plugin
    mime_type: str


JPEG = Format("jpeg", "JPEG", "image/jpeg")
PNG = Format("png", "PNG", "image/png")
GIF = Format("gif", "GIF", "image/gif")
WEBP = Format("webp", "WEBP", "image/webp")
HEIC = Format("heic", "HEIF", "image/heic")
HEIF = Format("heif", "HEIF", "image/heif")
AVIF = Format("avif", "AVIF", "image/avif")
FORMATS = (JPEG, PNG, GIF, WEBP, HEIC, HEIF, AVIF)
# The Pillow plugins allowed to open an upload: everything else Pillow knows (EPS
# needs Ghostscript, PSD, ICO, TIFF, ...) stays shut, which keeps the attack surface small.
PILLOW_PLUGINS = tuple(dict.fromkeys(f.pillow for f in FORMATS))
DESCRIPTION = "JPEG, PNG, GIF, WebP, HEIC/HEIF, AVIF"


class UnknownFormat(ValueError):
    """The first bytes announce no format Darkroom takes."""


def _iso_bmff(head: bytes) -> Format | None:
    """HEIF and AVIF files open with an `ftyp` box: a major brand, a minor
    version, then compatible brands; any of them may name the format."""
    if head[4:8] != b"ftyp":
        return None
    box = head[8:max(16, int.from_bytes(head[:4], "big"))]
    brands = {box[:4]} | {box[i:i + 4] for i in range(8, len(box) - 3, 4)}
    if brands & AVIF_BRANDS:
        return AVIF
    if brands & HEVC_BRANDS:
        return HEIC
    if brands & HEIF_BRANDS:
        return HEIF
    return None


def sniff(head: bytes | bytearray) -> Format:
    """The format the first bytes announce; UnknownFormat if none."""
    head = bytes(head[:SNIFF_BYTES])
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    found = _iso_bmff(head)
    if found is None:
        raise UnknownFormat(f"not an image of a supported format ({DESCRIPTION})")
    return found


class ImageLimits(BaseSettings):
    """Checked from the header before any decoding, by the API on upload and by
    every stage that opens an image, so what one accepts the others can render."""

    model_config = SettingsConfigDict(env_prefix="DARKROOM_IMAGE_", extra="ignore")
    max_pixels: int = Field(100_000_000, gt=0, description="Largest width x height. Pillow's own guard "
                                                           "refuses above about 179 MP anyway.")
    max_frames: int = Field(1000, gt=0, description="Most frames in an animation.")
