"""Sample photos for the demo, made at run time: real EXIF (camera, date,
GPS), several orientations, a PNG with alpha, an animated GIF and a HEIC."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()


def _scene(width: int, height: int, hue: int) -> Image.Image:
    """Something photo-like: gradients and shapes, not a flat colour."""
    image = Image.merge("RGB", (
        Image.linear_gradient("L").resize((width, height)),
        Image.radial_gradient("L").resize((width, height)),
        Image.new("L", (width, height), hue),
    ))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = (i * 97) % width, (i * 61) % height
        draw.ellipse((x, y, x + width // 6, y + height // 6), fill=((hue + 40 * i) % 256, 90, 160))
    return image


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Darkroom"  # Make
    exif[0x0110] = "Sample Camera"  # Model
    exif[0x0112] = orientation
    exif[0x0132] = "2026:06:01 07:30:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (38.0, 42.0, 0.0), 3: "W", 4: (9.0, 8.0, 0.0)})  # Lisbon
    return exif


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photos() -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each sample."""
    for orientation in (1, 3, 6, 8):
        yield (f"camera-orientation-{orientation}.jpg",
               _save(_scene(2400, 1600, 40 * orientation), "JPEG", quality=90, exif=_exif(orientation)))
    logo = _scene(800, 800, 200).convert("RGBA")
    logo.putalpha(Image.radial_gradient("L").resize((800, 800)).point(lambda v: 255 - v))
    yield "logo-with-alpha.png", _save(logo, "PNG")
    frames = [_scene(480, 320, 30 * i) for i in range(6)]
    yield "animated.gif", _save(frames[0], "GIF", save_all=True, append_images=frames[1:],
                                duration=120, loop=0)
    yield "phone.heic", _save(_scene(1920, 1440, 120), "HEIF", quality=80)
