"""Format recognition from the bytes and the header limits (no engines)."""

from __future__ import annotations

import contextlib
import io

import pytest
from ingest_api import formats
from ingest_api.errors import CorruptImage, TooManyFrames, TooManyPixels, UnsupportedFormat

from schemas.media import ImageLimits
from tests.ingest_api import samples

LIMITS = ImageLimits(max_pixels=100_000_000, max_frames=1000)


def _inspect(data: bytes, limits: ImageLimits = LIMITS) -> formats.ImageInfo:
    return formats.inspect(io.BufferedReader(io.BytesIO(data)), data[:formats.SNIFF_BYTES], limits)


@pytest.mark.parametrize(("data", "name", "mime"), [
    (samples.encoded("JPEG"), "jpeg", "image/jpeg"),
    (samples.encoded("PNG"), "png", "image/png"),
    (samples.encoded("GIF"), "gif", "image/gif"),
    (samples.encoded("WEBP"), "webp", "image/webp"),
    (samples.encoded("HEIF"), "heic", "image/heic"),
    (samples.encoded("AVIF"), "avif", "image/avif"),
], ids=["jpeg", "png", "gif", "webp", "heic", "avif"])
def test_every_supported_format_is_recognised_and_measured(data, name, mime):
    info = _inspect(data)
    assert (info.format.name, info.format.mime_type) == (name, mime)
    assert (info.width, info.height, info.frames) == (64, 48, 1)


@pytest.mark.parametrize("head", [
    b"hello, this is plain text and no image at all" * 2,
    b"%PDF-1.7\n" + b"0" * 60,
    b"BM" + b"\0" * 62,  # BMP: an image, but not one Darkroom takes
    b"\0\0\0\x18ftypmp42" + b"\0" * 52,  # an MP4 video
    b"",
], ids=["text", "pdf", "bmp", "mp4", "nothing"])
def test_anything_else_is_refused_from_the_first_bytes(head):
    with pytest.raises(UnsupportedFormat):
        formats.sniff(head)


def test_heif_brands_tell_heic_from_plain_heif_and_avif():
    def ftyp(major: bytes, *compatible: bytes) -> bytes:
        body = major + b"\0\0\0\0" + b"".join(compatible)
        return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body

    assert formats.sniff(ftyp(b"mif1", b"mif1", b"heic")) is formats.HEIC
    assert formats.sniff(ftyp(b"mif1", b"mif1", b"miaf")) is formats.HEIF
    assert formats.sniff(ftyp(b"mif1", b"mif1", b"avif")) is formats.AVIF
    assert formats.sniff(ftyp(b"avis", b"avis")) is formats.AVIF


def test_animation_frames_are_counted():
    assert _inspect(samples.animated_gif(12)).frames == 12


def test_frames_past_the_in_memory_head_are_counted_from_the_store():
    data = samples.animated_gif(30, size=(160, 160), noise=True)
    head, fetched = data[:256 * 1024], []

    def fetch(offset: int, length: int) -> bytes:
        fetched.append(offset)
        return data[offset:offset + length]

    assert len(data) > len(head)
    info = formats.inspect(formats.spliced(head, len(data), fetch), head, LIMITS)
    assert (info.format.name, info.frames) == ("gif", 30)
    assert fetched and min(fetched) >= len(head)


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "JPEG", "WEBP"])
def test_a_file_cut_anywhere_is_measured_or_refused_as_corrupt(fmt):
    # Counting the frames of a cut GIF once raised IndexError or struct.error: a 500.
    data = samples.animated_gif(4, (120, 90), noise=True) if fmt == "GIF" else samples.encoded(fmt)
    for end in range(1, len(data), max(1, len(data) // 200)):
        # Under a dozen bytes, no magic number is left: UnsupportedFormat.
        with contextlib.suppress(CorruptImage, UnsupportedFormat):
            _inspect(data[:end])


def test_too_many_frames_is_refused():
    with pytest.raises(TooManyFrames):
        _inspect(samples.animated_gif(6), ImageLimits(max_pixels=10**8, max_frames=5))


@pytest.mark.parametrize("data", [
    samples.png_header_only(100_000, 100_000),  # over Pillow's own guard too
    samples.gif_header_only(12_000, 10_000),  # 120 MP: only our limit refuses it
], ids=["png-10-gigapixels", "gif-120-megapixels"])
def test_a_pixel_bomb_is_refused_from_its_header(data):
    with pytest.raises(TooManyPixels):
        _inspect(data)


def test_a_truncated_jpeg_whose_header_is_fine_is_accepted():
    # The resize stage fails it later, through the dead-letter topic.
    data = samples.noisy_jpeg((400, 300))
    info = _inspect(data[: len(data) // 2])
    assert (info.format.name, info.width, info.height) == ("jpeg", 400, 300)


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x0dIHDR" + b"garbage that is no header" * 3,
    b"\xff\xd8\xff" + b"\0" * 80,
    b"GIF89a" + b"\xff" * 3,
], ids=["png", "jpeg", "gif"])
def test_a_known_signature_with_an_unreadable_header_is_corrupt(data):
    with pytest.raises(CorruptImage):
        _inspect(data)


def test_spliced_reader_serves_the_head_from_memory_and_the_rest_in_windows():
    data = bytes(range(256)) * 4096  # 1 MiB
    fetched: list[tuple[int, int]] = []

    def fetch(offset: int, length: int) -> bytes:
        fetched.append((offset, length))
        return data[offset:offset + length]

    reader = formats.spliced(data[:1000], len(data), fetch, window=64 * 1024)
    assert reader.read(10) == data[:10]
    assert fetched == []  # inside the head
    reader.seek(500_000)
    assert reader.read(100) == data[500_000:500_100]
    assert reader.read() == data[500_100:]
    assert all(length <= 64 * 1024 for _, length in fetched)
    assert len(fetched) < 10  # windows, not one request per read
