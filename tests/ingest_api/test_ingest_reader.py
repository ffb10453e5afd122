"""The upload reader (hash, count, bound, sniff while streaming) and the
cleanup guard, without engines."""

from __future__ import annotations

import hashlib

import pytest
from ingest_api import ingest
from ingest_api.errors import EmptyFile, TooLarge, UnsupportedFormat
from ingest_api.guard import Guard

from tests.ingest_api import samples


def _chunks(data: bytes, size: int):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_reads_in_any_sizes_hashing_counting_and_keeping_the_head():
    data = samples.noisy_jpeg((800, 600))
    reader = ingest.UploadReader(_chunks(data, 1000), max_bytes=len(data))
    out = bytearray()
    while piece := reader.read(4096 + 1):
        out += piece
    assert bytes(out) == data
    assert reader.sha256 == hashlib.sha256(data).hexdigest()
    assert reader.size == len(data)
    assert reader.head == data[:ingest.HEAD_BYTES]
    assert reader.format is not None and reader.format.name == "jpeg"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "HEIF", "AVIF"])
def test_every_format_is_sniffed_from_the_stream(fmt):
    data = samples.encoded(fmt)
    reader = ingest.UploadReader(_chunks(data, 7), max_bytes=len(data))
    assert reader.read(-1) == data
    assert reader.format is not None and reader.format.pillow == fmt


def test_stops_at_the_byte_limit_without_reading_further():
    data = samples.noisy_jpeg((800, 600))
    pulled = []

    def chunks():
        for chunk in _chunks(data, 1000):
            pulled.append(chunk)
            yield chunk

    reader = ingest.UploadReader(chunks(), max_bytes=5000)
    with pytest.raises(TooLarge):
        reader.read(ingest.PART_SIZE + 1)
    assert len(pulled) == 6  # the chunk that crossed the limit, and no more


def test_refuses_a_non_image_from_its_first_chunk():
    def endless_text():
        while True:
            yield b"this is not an image, " * 100

    with pytest.raises(UnsupportedFormat):
        ingest.UploadReader(endless_text(), max_bytes=10**9).read(ingest.PART_SIZE + 1)


@pytest.mark.parametrize(("chunks", "error"), [
    ([], EmptyFile),
    ([b"GIF8"], UnsupportedFormat),  # too short for any signature
], ids=["empty", "tiny"])
def test_short_inputs_are_refused_at_their_end(chunks, error):
    with pytest.raises(error):
        ingest.UploadReader(iter(chunks), max_bytes=100).read(1000)


def test_guard_undoes_newest_first_when_the_path_fails():
    done = []
    with pytest.raises(RuntimeError), Guard("test") as guard:
        guard.add("first", lambda: done.append("first"))
        guard.add("second", lambda: done.append("second"))
        raise RuntimeError("a later step failed")
    assert done == ["second", "first"]


def test_guard_undoes_on_an_early_return_and_survives_a_failing_undo():
    done = []

    def path() -> str:
        with Guard("test") as guard:
            guard.add("first", lambda: done.append("first"))
            guard.add("broken", lambda: 1 / 0)
            return "early"

    assert path() == "early"
    assert done == ["first"]


def test_a_disarmed_guard_leaves_everything():
    done = []
    with Guard("test") as guard:
        guard.add("first", lambda: done.append("first"))
        guard.disarm()
    assert done == []
