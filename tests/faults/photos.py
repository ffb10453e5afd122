"""Generated photos of mixed sizes for the fault and load suites, and the
poison among them: files the API must accept (their header is fine) that
no stage can render, so the image must end `failed` with a reason and its
record land in exactly one dead-letter topic.

Each photo is unique (its seed is drawn into it), so no two uploads of a
batch are duplicates of each other; the sizes run from about 0.1 to 2 MP.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from functools import cached_property

from PIL import Image, ImageDraw, ImageFilter

MIN_PIXELS, MAX_PIXELS = 100_000, 2_000_000
ASPECTS = (4 / 3, 3 / 2, 16 / 9, 1.0, 3 / 4, 2 / 3)
POISON_CODE = "truncated"  # what the resize stage says of a JPEG whose scan data stops early


@dataclass(frozen=True)
class Photo:
    name: str
    data: bytes
    poison: bool = False  # accepted by the API, dead-lettered by a stage

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _size(rng: random.Random) -> tuple[int, int]:
    pixels, aspect = rng.uniform(MIN_PIXELS, MAX_PIXELS), rng.choice(ASPECTS)
    width = int((pixels * aspect) ** 0.5)
    return width, max(1, int(pixels / width))


def picture(size: tuple[int, int], seed: int) -> Image.Image:
    """Sky, ground, a few shapes, grain, and the seed written along the top
    edge in 8-pixel blocks (which survive JPEG): distinct seeds, distinct files."""
    rng = random.Random(seed)
    width, height = size
    sky = tuple(rng.randrange(80, 230) for _ in range(3))
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, int(height * rng.uniform(0.5, 0.8)), width, height),
                   fill=tuple(rng.randrange(20, 140) for _ in range(3)))
    for _ in range(rng.randrange(3, 9)):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(max(2, min(size) // 20), max(3, min(size) // 4))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(1))
    grain = Image.effect_noise((max(1, width // 4), max(1, height // 4)), 24).resize(size)
    image = Image.blend(image, Image.merge("RGB", (grain,) * 3), 0.12)
    for bit in range(min(48, width // 8)):
        image.paste((255, 255, 255) if seed >> bit & 1 else (0, 0, 0), (bit * 8, 0, bit * 8 + 8, 8))
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def truncated_jpeg(seed: int) -> bytes:
    """A JPEG whose header is whole and whose scan data stops a third of
    the way: the API reads the header only and accepts it; no decoder can
    render it."""
    data = encode(picture((640, 480), seed), "JPEG", quality=85)
    return data[: len(data) // 3]


def batch(count: int, seed: int, poison_every: int = 100) -> list[Photo]:
    """`count` photos (JPEG mostly, every seventh a PNG), one in
    `poison_every` of them poison (0: none)."""
    rng = random.Random(seed)
    photos = []
    for i in range(count):
        own = seed * 100_003 + i
        if poison_every and i % poison_every == poison_every // 2:
            photos.append(Photo(f"poison-{i:04d}.jpg", truncated_jpeg(own), poison=True))
        elif i % 7 == 3:
            data = encode(picture(_size(rng), own), "PNG", compress_level=1)
            photos.append(Photo(f"photo-{i:04d}.png", data))
        else:
            photos.append(Photo(f"photo-{i:04d}.jpg",
                                encode(picture(_size(rng), own), "JPEG", quality=rng.randrange(75, 92))))
    return photos
