"""Whether an embedded ICC profile is sRGB's own, read from its description
(ICC.1 tag `desc`: v2 textDescriptionType or v4 multiLocalizedUnicodeType).
Cameras and phones embed "sRGB IEC61966-2.1" on most photos; converting
from it to sRGB is an identity that costs a colour transform."""

import functools
import struct


@functools.lru_cache(maxsize=64)
def is_srgb(profile: bytes) -> bool:
    return "srgb" in description(profile).lower()


def description(profile: bytes) -> str:
    """The profile's description, "" when it has none or is malformed."""
    try:
        (count,) = struct.unpack_from(">I", profile, 128)
        for i in range(min(count, 256)):
            sig, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * i)
            if sig == b"desc":
                return _text(profile[offset:offset + size])
    except struct.error:
        pass
    return ""


def _text(tag: bytes) -> str:
    if tag[:4] == b"desc":  # v2: ASCII count (with its NUL), then the text
        (length,) = struct.unpack_from(">I", tag, 8)
        return tag[12:12 + length].split(b"\0")[0].decode("latin-1")
    if tag[:4] == b"mluc":  # v4: records of language, country, length, offset; the first will do
        (records,) = struct.unpack_from(">I", tag, 8)
        if records:
            length, offset = struct.unpack_from(">II", tag, 20)
            return tag[offset:offset + length].decode("utf-16-be", "replace")
    return ""
