"""Turning raw values from hostile files into facts we trust, or into a
reason they were skipped. Pure: no parsing of file formats here."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from schemas.events import SkippedField


class Unreadable(ValueError):
    """A value is present but not one we can trust; the message says why."""


@dataclass
class Facts:
    """What the readers found so far, and what they skipped with why."""

    values: dict[str, object] = field(default_factory=dict)
    skipped: list[SkippedField] = field(default_factory=list)

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append(SkippedField(field=name, reason=reason))

    def read(self, name: str, raw: object, *converters) -> None:
        """Set `name` from `raw` passed through `converters` in turn; a
        converter raising Unreadable skips the field. Absent (None) stays absent."""
        value = raw
        try:
            for convert in converters:
                if value is None:
                    return
                value = convert(value)
        except Unreadable as exc:
            self.skip(name, str(exc))
            return
        if value is not None:
            self.values[name] = value


def show(value: object, limit: int = 40) -> str:
    """A value for a skip reason: short, whatever its size."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def text(limit: int):
    """Printable text of at most `limit` characters; NULs, control characters
    and surrounding space removed; empty means absent."""

    def convert(value: object) -> str | None:
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise Unreadable("not UTF-8 text") from None
        if not isinstance(value, str):
            raise Unreadable(f"not text: {show(value)}")
        cleaned = "".join(c for c in value if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
        if len(cleaned) > limit:
            raise Unreadable(f"{len(cleaned)} characters, over the limit of {limit}")
        return cleaned or None

    return convert


def first(value: object) -> object:
    """The first of a tag's values (EXIF numbers come as lists)."""
    if isinstance(value, list | tuple):
        if not value:
            return None
        return value[0]
    return value


def number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) and not hasattr(value, "denominator"):
        raise Unreadable(f"not a number: {show(value)}")
    try:
        result = float(value)  # exifread's Ratio is a Fraction; x/0 raises here
    except (ZeroDivisionError, OverflowError, ValueError):
        raise Unreadable(f"not a finite number: {show(value)}") from None
    if not math.isfinite(result):
        raise Unreadable(f"not a finite number: {show(value)}")
    return result


def within(low: float, high: float, unknown_zero: bool = False):
    """A number in [low, high]. EXIF writes 0 for "unknown" in some fields:
    with `unknown_zero` a 0 is absent rather than skipped."""

    def convert(value: object) -> float | None:
        result = number(value)
        if unknown_zero and result == 0:
            return None
        if not low <= result <= high:
            raise Unreadable(f"{result:g} is outside {low:g} to {high:g}")
        return result

    return convert


def whole(value: float) -> int:
    if value != int(value):
        raise Unreadable(f"{value:g} is not a whole number")
    return int(value)


_EXIF_DATE = ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def exif_datetime(value: str) -> datetime:
    """EXIF's 'YYYY:MM:DD HH:MM:SS' as a naive local time."""
    for layout in _EXIF_DATE:
        try:
            return datetime.strptime(value, layout)
        except ValueError:
            continue
    raise Unreadable(f"not a valid date: {show(value)}")


def utc_offset(value: str) -> timezone:
    """EXIF's OffsetTime*: '+HH:MM' or '-HH:MM', at most 14 hours."""
    match = _OFFSET.match(value)
    if match is None:
        raise Unreadable(f"time zone offset {show(value)} is not ±HH:MM")
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    if hours > 14 or minutes > 59 or (hours == 14 and minutes):
        raise Unreadable(f"time zone offset {value} is out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)
