"""A corpus of hostile uploads, generated (no binary fixtures): decompression
bombs, truncations, broken metadata, polyglots, wrong names, empty files,
endless animations, odd encodings and oversized chunks.

`corpus(seed, scale)` yields `Hostile` items; scale 1 gives about 1,000
files, a smaller scale one of each kind and a few of the variations. Each
says which outcomes are acceptable: a refusal by the API with one of
`codes` (4xx), a `failed` image with one of `codes`, or `ready` for files
that are odd but sound (a progressive JPEG, a CMYK one, broken metadata
that the metadata stage skips).
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms

from tests.faults.photos import encode, picture
from tests.streams.photos import app1, app13, full_exif, iim, with_segments

pillow_heif.register_heif_opener()

REFUSED, FAILED, READY = "refused", "failed", "ready"
BAD_HEADER = ("corrupt_image", "unsupported_format", "empty_file")
UNRENDERABLE = ("truncated", "corrupt", "not_an_image", "unsupported_format", "too_many_pixels")


@dataclass(frozen=True)
class Hostile:
    kind: str
    name: str  # the upload's file name (which must never matter)
    data: bytes
    outcomes: frozenset[str]  # refused, failed, ready
    payload: bytes | None = None  # bytes that must never reach a variant (polyglots, scripts)
    public: bool = False  # uploaded public (to check what variants carry); private otherwise


def _item(kind: str, name: str, data: bytes, *outcomes: str, payload: bytes | None = None,
          public: bool = False) -> Hostile:
    return Hostile(kind, name, data, frozenset(outcomes), payload, public)


# -- bytes by hand ---------------------------------------------------------------

def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, raw: bytes | None = None, extra: bytes = b"", after: bytes = b"",
        depth: int = 8, color: int = 0) -> bytes:
    """A PNG of `raw` rows (filter byte + pixels; zeros by default)."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
    if raw is None:
        row = b"\0" * (1 + width * max(1, depth // 8) * {0: 1, 2: 3, 4: 2, 6: 4}.get(color, 1))
        compressor = zlib.compressobj(9)
        body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    else:
        body = zlib.compress(raw, 9)
    return b"\x89PNG\r\n\x1a\n" + header + extra + chunk(b"IDAT", body) + after + chunk(b"IEND", b"")


def gif_screen(width: int, height: int, frame: tuple[int, int] = (1, 1)) -> bytes:
    """A GIF whose logical screen says `width` x `height` around one tiny frame."""
    image = (b"\x2c" + struct.pack("<HHHH", 0, 0, *frame) + b"\x00" + b"\x02\x02\x44\x01\x00")
    palette = b"\0\0\0\xff\xff\xff"
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00" + palette + image + b";"


def gif_frames(frames: int, size: tuple[int, int] = (1, 1)) -> bytes:
    """An animation of `frames` tiny frames, written by hand (Pillow would merge equal ones)."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", *size) + b"\x80\x00\x00" + b"\0\0\0\xff\xff\xff")
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for i in range(frames):
        out += b"\x21\xf9\x04\x04" + struct.pack("<H", 2) + b"\x00\x00"
        out += b"\x2c" + struct.pack("<HHHH", 0, 0, *size) + b"\x00"
        out += b"\x02\x02" + (b"\x44\x01" if i % 2 else b"\x4c\x01") + b"\x00"
    return bytes(out + b";")


def webp_canvas(width: int, height: int) -> bytes:
    """A VP8X WebP whose canvas is `width` x `height` (at most 16384 each) around nothing."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (
        height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def jpeg_sof(width: int, height: int, precision: int = 8, components: int = 3) -> bytes:
    """A real JPEG with its frame header rewritten to say something else."""
    data = bytearray(encode(picture((64, 48), 1), "JPEG", quality=80))
    at = data.index(b"\xff\xc0")
    data[at + 4] = precision
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    if components != 3:
        data[at + 9] = components
    return bytes(data)


# -- the kinds -----------------------------------------------------------------

def bombs(rng: random.Random, n: int) -> Iterator[Hostile]:
    for i in range(n):
        side = rng.randrange(12_000, 60_000)
        yield _item("bomb", f"bomb-png-{i}.png", png(side, side, raw=b""), REFUSED)
        yield _item("bomb", f"bomb-gif-{i}.gif", gif_screen(side, rng.randrange(12_000, 65_535)), REFUSED)
        yield _item("bomb", f"bomb-webp-{i}.webp", webp_canvas(rng.randrange(10_001, 16_384), 16_384),
                    REFUSED)
        yield _item("bomb", f"bomb-jpeg-{i}.jpg", jpeg_sof(side, rng.randrange(12_000, 65_535)), REFUSED)
    # Real bombs: small files that decode to a lot.
    yield _item("bomb", "deflate-bomb-400mp.png", png(20_000, 20_000), REFUSED)
    yield _item("bomb", "just-under-the-limit-99mp.png", png(9_999, 9_999), READY, FAILED)
    # 90 MP declared over 64x48 of scan data: libjpeg fills the rest in grey, as browsers do.
    yield _item("bomb", "under-the-limit-90mp-header.jpg", jpeg_sof(9_000, 10_000), READY, FAILED, REFUSED)


def truncations(rng: random.Random, bases: int) -> Iterator[Hostile]:
    formats = {"jpg": ("JPEG", {"quality": 85}), "png": ("PNG", {}), "webp": ("WEBP", {"quality": 80}),
               "heic": ("HEIF", {"quality": 70}), "avif": ("AVIF", {"quality": 60}),
               "progressive.jpg": ("JPEG", {"quality": 85, "progressive": True})}
    for i in range(bases):
        image = picture((rng.randrange(200, 500), rng.randrange(150, 400)), rng.randrange(10**9))
        for ext, (fmt, options) in formats.items():
            data = encode(image, fmt, **options)
            for tenth in range(1, 10):
                cut = data[: len(data) * tenth // 10]
                yield _item("truncated", f"cut-{i}-{tenth}0pc.{ext}", cut, REFUSED, FAILED)
        frames = [picture((120, 90), rng.randrange(10**9)) for _ in range(4)]
        out = io.BytesIO()
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
        gif = out.getvalue()
        for tenth in range(1, 10):
            # A GIF cut after its first frame still shows that frame: ready is sound too.
            yield _item("truncated", f"cut-{i}-{tenth}0pc.gif", gif[: len(gif) * tenth // 10],
                        REFUSED, FAILED, READY)


def _exif_bytes(entries: list[tuple[int, int, int, bytes]], ifd_offset: int = 8,
                little: bool = True) -> bytes:
    """A TIFF header and one IFD of raw (tag, type, count, value/offset) entries."""
    order = "<" if little else ">"
    out = (b"II*\x00" if little else b"MM\x00*") + struct.pack(order + "I", ifd_offset)
    out += b"\0" * (ifd_offset - 8 if ifd_offset < 4096 else 0)  # an offset past the end points nowhere
    out += struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        out += struct.pack(order + "HHI", tag, kind, count) + value[:4].ljust(4, b"\0")
    return out + b"\0\0\0\0"


BROKEN_EXIF = {
    "ifd-offset-past-end": _exif_bytes([], ifd_offset=0x7FFF_FFF0),
    "ifd-loop": _exif_bytes([(0x8769, 4, 1, b"\x08\x00\x00\x00")]),  # the Exif IFD is this IFD again
    "huge-count": _exif_bytes([(0x010F, 2, 0x7FFF_FFFF, b"\xff\xff\x00\x00")]),
    "wrong-type": _exif_bytes([(0x0112, 12, 1, b"\x01\x02\x03\x04")]),
    "orientation-99": _exif_bytes([(0x0112, 3, 1, b"\x63\x00")]),
    "zero-denominator": _exif_bytes([(0x829A, 5, 1, b"\x1a\x00\x00\x00")]),
    "gps-garbage": _exif_bytes([(0x8825, 4, 1, b"\x1a\x00\x00\x00")]) + b"\xff" * 64,
    "not-tiff": b"this is not a TIFF header at all" * 4,
    "truncated": bytes(full_exif().tobytes()[:40]),
    "date-garbage": _exif_bytes([(0x0132, 2, 4, b"\xff\xfe\x00\x00")]),
    "big-endian-huge-offsets": _exif_bytes([(0x010F, 2, 100, b"\x7f\xff\xff\xf0")], little=False),
}
BROKEN_ICC = {
    "truncated": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()[:200],
    "garbage": bytes(range(256)) * 4,
    "size-lies": b"\x7f\xff\xff\xff" + ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()[4:],
    "lab-profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),
}
BROKEN_IPTC = {
    "length-past-end": b"\x1c\x02\x78\x7f\xff" + b"short",
    "extended-length-huge": b"\x1c\x02\x78\x80\x04\x7f\xff\xff\xff" + b"x" * 10,
    "bad-marker": b"\x1d\x02\x78\x00\x05hello",
    "huge-caption": iim((2, 120, b"A" * 60_000)),
    "many-keywords": iim(*((2, 25, f"k{i}".encode()) for i in range(5_000))),
    "not-utf8": iim((1, 90, b"\x1b%G"), (2, 120, b"\xff\xfe\xfd caption")),
}
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']><x:xmpmeta xmlns:x="adobe:ns:meta/">&lol9;</x:xmpmeta>')
BROKEN_XMP = {
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                       b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&e;</x:xmpmeta>',
    "not-xml": b"\xff\xfe not xml at all <<<<",
    "huge": b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b"<a>" * 20_000 + b"</x:xmpmeta>",
}


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", min(len(body) + 2, 0xFFFF)) + body[:0xFFFD]


def metadata(rng: random.Random, copies: int) -> Iterator[Hostile]:
    for i in range(copies):
        base = encode(picture((rng.randrange(160, 400), rng.randrange(120, 300)), rng.randrange(10**9)),
                      "JPEG", quality=85)
        for name, block in BROKEN_EXIF.items():
            yield _item("exif", f"exif-{name}-{i}.jpg", with_segments(base, app1(b"Exif\0\0" + block)), READY)
        for name, profile in BROKEN_ICC.items():
            yield _item("icc", f"icc-{name}-{i}.jpg",
                        with_segments(base, _segment(0xE2, b"ICC_PROFILE\0\x01\x01" + profile)), READY)
        for name, block in BROKEN_IPTC.items():
            yield _item("iptc", f"iptc-{name}-{i}.jpg", with_segments(base, app13(block)), READY)
        for name, xml in BROKEN_XMP.items():
            yield _item("xmp", f"xmp-{name}-{i}.jpg",
                        with_segments(base, _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + xml)), READY)
        image = picture((200, 150), rng.randrange(10**9))
        yield _item("exif", f"png-exif-broken-{i}.png",
                    png_with(image, chunk(b"eXIf", BROKEN_EXIF["ifd-loop"])), READY)
        yield _item("icc", f"png-iccp-garbage-{i}.png",
                    png_with(image, chunk(b"iCCP", b"x\0\0" + zlib.compress(b"garbage" * 50))),
                    READY, REFUSED)


def png_with(image: Image.Image, extra: bytes) -> bytes:
    """`image` as a PNG with `extra` chunks right after IHDR."""
    data = encode(image, "PNG")
    end_of_ihdr = 8 + 25
    return data[:end_of_ihdr] + extra + data[end_of_ihdr:]


def polyglots(rng: random.Random, copies: int) -> Iterator[Hostile]:
    import zipfile

    for i in range(copies):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("payload.html", "<script>alert('zip')</script>")
        jpeg = encode(picture((240, 180), rng.randrange(10**9)), "JPEG", quality=85)
        yield _item("polyglot", f"jpeg-zip-{i}.jpg", jpeg + archive.getvalue(), READY, payload=b"PK\x03\x04",
                    public=True)
        script = b"<script>alert('gif')</script>"
        gif = encode(picture((64, 48), rng.randrange(10**9)).convert("P"), "GIF", comment=script)
        yield _item("polyglot", f"gif-comment-script-{i}.gif", gif, READY, payload=script, public=True)
        js = b"GIF89a/*" + gif[8:] + b"*/=1;alert('gifjs');"
        yield _item("polyglot", f"gif-js-{i}.gif", js, READY, REFUSED, FAILED, payload=b"alert(", public=True)
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert("svg")</script></svg>'
        yield _item("polyglot", f"svg-script-{i}.png", svg, REFUSED)
        html = b"<!doctype html><html><script>alert(1)</script></html>"
        yield _item("polyglot", f"html-{i}.jpg", html, REFUSED)
        yield _item("polyglot", f"pdf-{i}.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", REFUSED)
        php = with_segments(jpeg, _segment(0xFE, b"<?php system($_GET['c']); ?>"))
        yield _item("polyglot", f"jpeg-php-comment-{i}.jpg", php, READY, payload=b"<?php", public=True)


def wrong_names(rng: random.Random, copies: int) -> Iterator[Hostile]:
    for i in range(copies):
        image = picture((rng.randrange(100, 300), rng.randrange(80, 240)), rng.randrange(10**9))
        for fmt, name in (("PNG", "photo.jpg"), ("GIF", "photo.png"), ("WEBP", "photo.gif"),
                          ("JPEG", "photo.heic"), ("HEIF", "photo.webp"), ("JPEG", "photo.exe"),
                          ("PNG", "../../etc/passwd"), ("JPEG", "a" * 300 + ".jpg")):
            data = encode(image.convert("P") if fmt == "GIF" else image, fmt)
            yield _item("wrong name", f"{i}-{name}", data, READY)


def empties() -> Iterator[Hostile]:
    yield _item("empty", "zero.jpg", b"", REFUSED)
    for n, data in enumerate((b"\xff", b"\xff\xd8", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a",
                              b"RIFF\0\0\0\0WEBP", b"\0" * 64, b"\0" * 4096)):
        yield _item("empty", f"almost-nothing-{n}.jpg", data, REFUSED)


def animations() -> Iterator[Hostile]:
    yield _item("frames", "10000-frames.gif", gif_frames(10_000), REFUSED)
    yield _item("frames", "1001-frames.gif", gif_frames(1_001), REFUSED)
    yield _item("frames", "1000-frames.gif", gif_frames(1_000), READY)


def encodings(rng: random.Random, copies: int) -> Iterator[Hostile]:
    for i in range(copies):
        image = picture((rng.randrange(120, 360), rng.randrange(90, 270)), rng.randrange(10**9))
        yield _item("encoding", f"cmyk-{i}.jpg", encode(image.convert("CMYK"), "JPEG", quality=85), READY)
        yield _item("encoding", f"progressive-{i}.jpg", encode(image, "JPEG", quality=85, progressive=True),
                    READY)
        yield _item("encoding", f"progressive-optimized-{i}.jpg",
                    encode(image, "JPEG", quality=60, progressive=True, optimize=True), READY)
        yield _item("encoding", f"grayscale-{i}.jpg", encode(image.convert("L"), "JPEG"), READY)
        yield _item("encoding", f"jpeg-16-bit-{i}.jpg", jpeg_sof(64, 48, precision=16), REFUSED, FAILED)
        yield _item("encoding", f"jpeg-12-bit-{i}.jpg", jpeg_sof(64, 48, precision=12), REFUSED, FAILED)
        yield _item("encoding", f"jpeg-2-components-{i}.jpg", jpeg_sof(64, 48, components=2), REFUSED, FAILED)
        yield _item("encoding", f"png-16-bit-gray-{i}.png", png(64, 48, depth=16), READY)
        yield _item("encoding", f"png-16-bit-rgba-{i}.png", png(64, 48, depth=16, color=6), READY)
        yield _item("encoding", f"png-48-bit-{i}.png", png(80, 60, depth=16, color=2), READY)
        yield _item("encoding", f"png-1-bit-{i}.png", encode(image.convert("1"), "PNG"), READY)


def text_chunks() -> Iterator[Hostile]:
    image = picture((64, 48), 3)
    big = chunk(b"tEXt", b"Comment\0" + b"x" * (100 * 1024 * 1024))
    yield _item("text chunk", "100mb-text-chunk.png", png_with(image, big), REFUSED)
    bomb = chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"x" * (100 * 1024 * 1024), 9))
    yield _item("text chunk", "ztxt-bomb-100mb.png", png_with(image, bomb), READY, REFUSED)
    itxt = chunk(b"iTXt", b"XML:com.adobe.xmp\0\x01\0\0\0" + zlib.compress(b"<" * (100 * 1024 * 1024), 9))
    yield _item("text chunk", "itxt-bomb-100mb.png", png_with(image, itxt), READY, REFUSED)
    late = encode(image, "PNG")
    yield _item("text chunk", "ztxt-bomb-after-idat.png", late[:-12] + bomb + late[-12:], READY, FAILED)


def corpus(seed: int, scale: float = 1.0) -> list[Hostile]:
    """About 1,000 files at scale 1."""
    rng = random.Random(seed)
    n = max(1, round(scale * 10))
    return [*bombs(rng, 2 * n), *truncations(rng, max(1, round(0.6 * n))), *metadata(rng, n),
            *polyglots(rng, n), *wrong_names(rng, n), *empties(), *animations(),
            *encodings(rng, max(1, round(1.5 * n))), *text_chunks()]
