"""What an upload is, from its bytes only: never its name or declared type.

Two steps. `sniff` reads the magic number from the first bytes, so a file
that is no image is refused before it is stored. `inspect` then has Pillow
read the header of that one format (Image.open reads the header only; no
pixel is decoded here) and checks the limits: a decompression bomb is
refused from its declared size. Counting an animation's frames may read the
whole file (GIF, WebP, AVIF): the caller passes a reader that serves the
first bytes from memory and the rest from the stored object.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pillow_heif
from PIL import Image, UnidentifiedImageError

from ingest_api.errors import CorruptImage, TooManyFrames, TooManyPixels, UnsupportedFormat
from schemas import media
from schemas.media import AVIF, GIF, HEIC, HEIF, JPEG, PNG, SNIFF_BYTES, WEBP, Format, ImageLimits

__all__ = ["AVIF", "GIF", "HEIC", "HEIF", "JPEG", "PNG", "SNIFF_BYTES", "WEBP", "Format", "ImageInfo",
           "inspect", "sniff", "spliced"]

pillow_heif.register_heif_opener()  # HEIC/HEIF; AVIF is Pillow's own


@dataclass(frozen=True)
class ImageInfo:
    format: Format
    width: int
    height: int
    frames: int


def sniff(head: bytes | bytearray) -> Format:
    """The format the first bytes announce; UnsupportedFormat if none."""
    try:
        return media.sniff(head)
    except media.UnknownFormat as exc:
        raise UnsupportedFormat(str(exc)) from None


def inspect(source: io.BufferedIOBase, head: bytes, limits: ImageLimits) -> ImageInfo:
    """Read the header of the format `head` announces from `source` and check the limits."""
    fmt = sniff(head)
    try:
        with Image.open(source, formats=[fmt.pillow]) as image:
            width, height = image.size
            if width * height > limits.max_pixels:
                raise TooManyPixels(f"{width}x{height} is over the limit of {limits.max_pixels} pixels")
            frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as exc:  # Pillow's own guard, above ours
        raise TooManyPixels(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError,
            struct.error) as exc:
        # Pillow reports a bad file through any of these, depending on the plugin; counting
        # the frames of a cut GIF raises IndexError or struct.error.
        raise CorruptImage(f"the {fmt.name} file cannot be read: {exc or type(exc).__name__}") from exc
    if frames > limits.max_frames:
        raise TooManyFrames(f"{frames} frames is over the limit of {limits.max_frames}")
    return ImageInfo(fmt, width, height, frames)


class _Spliced(io.RawIOBase):
    """The first bytes from memory, the rest from `fetch(offset, length)`."""

    def __init__(self, head: bytes, size: int, fetch: Callable[[int, int], bytes], window: int) -> None:
        self._head, self._size, self._fetch, self._window, self._pos = head, size, fetch, window, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        if self._pos < len(self._head):
            data = self._head[self._pos:self._pos + want]
        else:
            data = self._fetch(self._pos, want)
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def readall(self) -> bytes:
        # Some plugins (WebP, AVIF) read the whole file: a window per request, not 8 KiB.
        out = bytearray()
        while chunk := self.read(self._window):
            out += chunk
        return bytes(out)


def spliced(head: bytes, size: int, fetch: Callable[[int, int], bytes],
            window: int = 1024 * 1024) -> io.BufferedReader:
    """A seekable reader of `size` bytes; past the head, reads go to `fetch`
    a `window` at a time (one ranged GET per MiB, not one per tiny read)."""
    return io.BufferedReader(_Spliced(head, size, fetch, window), buffer_size=window)
