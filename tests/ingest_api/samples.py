"""Image bytes for the tests, made on the fly (no binary fixtures needed)."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()


def encoded(fmt: str, size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 80, 40),
            **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **options)
    return out.getvalue()


def noisy_jpeg(size: tuple[int, int] = (320, 240), seed: int = 0) -> bytes:
    """A JPEG whose bytes differ per seed (dedup tests need distinct files)."""
    image = Image.effect_noise(size, 40 + seed % 50).convert("RGB")
    image.putpixel((0, 0), (seed % 256, (seed // 256) % 256, 7))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def animated_gif(frames: int, size: tuple[int, int] = (16, 16), noise: bool = False) -> bytes:
    """Every frame differs, or Pillow would merge them; noise makes a big file."""
    if noise:
        images = [Image.effect_noise(size, 30 + i).convert("RGB") for i in range(frames)]
    else:
        images = [Image.new("RGB", size, (i % 256, (i * 7) % 256, (i * 13) % 256)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=40, loop=0)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height (valid IHDR CRC) and holds no pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IEND", b"")


def gif_header_only(width: int, height: int) -> bytes:
    """A GIF logical screen of width x height with one tiny frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame + b"\x3b"
