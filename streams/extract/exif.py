"""EXIF facts, parsed by exifread from the EXIF block Pillow found in the file.

exifread does the parsing (byte order, IFD chains, rational numbers, the GPS
degrees-minutes-seconds conversion in exifread.utils.get_gps_coords); this
module only picks the tags and refuses values no camera writes.
"""

from __future__ import annotations

import io
import logging

import exifread
from exifread.utils import get_gps_coords

from schemas.events import Gps
from streams.extract.values import (
    Facts,
    Unreadable,
    exif_datetime,
    first,
    number,
    text,
    utc_offset,
    whole,
    within,
)

# exifread logs every oddity of a hostile file at WARNING: what matters goes in `skipped`.
logging.getLogger("exifread").setLevel(logging.ERROR)

TIFF_PREFIX = b"Exif\x00\x00"  # how JPEG, PNG and HEIF carry the block; WebP has none
TIFF_HEADER_BYTES = 8  # byte order, 42, offset of the first directory

# What cameras can write, generously; anything outside is a broken or hostile value.
EXPOSURE_S = (1e-6, 86_400.0)  # a microsecond to a day
F_NUMBER = (0.5, 1_000.0)
FOCAL_LENGTH_MM = (0.5, 20_000.0)
ISO = (1, 10_000_000)
ALTITUDE_M = (-11_000.0, 100_000.0)  # the Mariana Trench to the edge of space
LATITUDE, LONGITUDE = 90.0, 180.0

TEXT_TAGS = {
    "camera_make": "Image Make",
    "camera_model": "Image Model",
    "lens": "EXIF LensModel",
    "software": "Image Software",
}


class _Cut:
    """Stands for a tag whose value lies outside the block: exifread reads
    past the end of a cut block without a word, giving 'Cano' for 'Canon',
    or an offset of 0 from a cut directory entry, giving the header's 'MM'."""


CUT = _Cut()


def parse(block: bytes) -> dict:
    """exifread's tags of an EXIF block (a TIFF structure, with or without
    the 'Exif' prefix), CUT for those the block ends inside. May raise
    anything on a hostile block."""
    if block.startswith(TIFF_PREFIX):
        block = block[len(TIFF_PREFIX):]
    # details=False: no maker notes (vendor formats, the most fragile parsers
    # and nothing we publish); no thumbnail either.
    tags = exifread.process_file(io.BytesIO(block), details=False, extract_thumbnail=False)
    return {name: CUT if _outside(tag, len(block)) else tag for name, tag in tags.items()}


def _outside(tag: object, end: int) -> bool:
    offset, length = getattr(tag, "field_offset", 0), getattr(tag, "field_length", 0)
    if not isinstance(offset, int) or not isinstance(length, int):
        return False
    return offset < TIFF_HEADER_BYTES or offset + length > end  # no value lives in the header


def _values(tags: dict, name: str) -> object:
    tag = tags.get(name)
    return tag if tag is None or tag is CUT else getattr(tag, "values", None)


def _intact(value: object) -> object:
    if value is CUT:
        raise Unreadable("cut short or corrupt: its value lies outside the EXIF block")
    return value


def read(tags: dict, facts: Facts, max_text_chars: int) -> None:
    """Camera, exposure, date, orientation and software into `facts`."""
    for field, name in TEXT_TAGS.items():
        facts.read(field, _values(tags, name), _intact, text(max_text_chars))
    facts.read("exposure_time_s", _values(tags, "EXIF ExposureTime"), _intact, first,
               within(*EXPOSURE_S, True))
    facts.read("f_number", _values(tags, "EXIF FNumber"), _intact, first, within(*F_NUMBER, True))
    facts.read("focal_length_mm", _values(tags, "EXIF FocalLength"), _intact, first,
               within(*FOCAL_LENGTH_MM, True))
    facts.read("iso", _values(tags, "EXIF ISOSpeedRatings"), _intact, first, within(*ISO, True), whole)
    facts.read("orientation", _values(tags, "Image Orientation"), _intact, first, within(1, 8), whole)
    _taken_at(tags, facts)


def _taken_at(tags: dict, facts: Facts) -> None:
    raw = _values(tags, "EXIF DateTimeOriginal")
    if raw is None:
        return
    try:
        stamp = text(40)(_intact(raw))
        if stamp is None:  # EXIF's way of saying "unknown": blanks
            return
        local = exif_datetime(stamp)
    except Unreadable as exc:
        facts.skip("taken_at", str(exc))
        return
    try:
        offset = text(10)(_intact(_values(tags, "EXIF OffsetTimeOriginal") or ""))
        if offset is not None:
            local = local.replace(tzinfo=utc_offset(offset))
    except Unreadable as exc:
        facts.skip("taken_at", f"{exc}: the local time is kept without it")
    facts.values["taken_at"] = local.isoformat()


def gps(tags: dict, facts: Facts) -> Gps | None:
    """Latitude and longitude in decimal degrees, and altitude. Skip reasons
    never repeat the coordinates."""
    if "GPS GPSLatitude" not in tags and "GPS GPSLongitude" not in tags:
        return None
    if any(tag is CUT for name, tag in tags.items() if name.startswith("GPS ")):
        facts.skip("gps", "cut short or corrupt: its value lies outside the EXIF block")
        return None
    try:
        # It rewrites the dict it is given: hand it a copy.
        coords = get_gps_coords(dict(tags))
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError, KeyError):
        facts.skip("gps", "coordinates are not three degree, minute, second numbers")
        return None
    if coords is None:
        facts.skip("gps", "latitude or longitude without its hemisphere")
        return None
    latitude, longitude = coords
    if not (abs(latitude) <= LATITUDE and abs(longitude) <= LONGITUDE):  # also refuses NaN
        facts.skip("gps", "coordinates are outside ±90° latitude, ±180° longitude")
        return None
    return Gps(latitude=round(latitude, 7), longitude=round(longitude, 7), altitude_m=_altitude(tags, facts))


def _altitude(tags: dict, facts: Facts) -> float | None:
    raw = first(_values(tags, "GPS GPSAltitude"))
    if raw is None:
        return None
    try:
        metres = number(raw)
    except Unreadable:
        facts.skip("gps.altitude_m", "not a number")
        return None
    if first(_values(tags, "GPS GPSAltitudeRef")) == 1:  # 1: below sea level
        metres = -metres
    if not ALTITUDE_M[0] <= metres <= ALTITUDE_M[1]:
        facts.skip("gps.altitude_m", "outside what a photo can be taken at")
        return None
    return round(metres, 2)
