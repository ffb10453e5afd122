"""The streaming multipart reader, fed in awkward chunk sizes."""

from __future__ import annotations

import asyncio

import pytest
from ingest_api.errors import FieldTooLarge, MalformedMultipart, NotMultipart
from ingest_api.multipart import FormReader

BOUNDARY = "----darkroom-test-boundary"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _body(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def _stream(body: bytes, size: int):
    for i in range(0, len(body), size):
        yield body[i:i + size]


async def _read_all(body: bytes, size: int, skip_files: bool = False):
    form = FormReader(CTYPE, _stream(body, size))
    got = []
    async for part in form.parts():
        if part.filename is None:
            got.append((part.name, None, (await part.text()).encode()))
        elif skip_files:
            got.append((part.name, part.filename, b"(skipped)"))
        else:
            got.append((part.name, part.filename, b"".join([c async for c in part.chunks()])))
    return got


PARTS = [("title", None, "Café at dawn".encode()), ("files", "a.png", bytes(range(256)) * 50),
         ("files", "b.jpg", b"\r\n--not-the-boundary\r\n" * 30), ("tags", None, b"x,y")]


@pytest.mark.parametrize("size", [1, 7, 64, 1000, 10**6])
def test_parts_come_out_whole_whatever_the_chunking(size):
    assert asyncio.run(_read_all(_body(*PARTS), size)) == PARTS


def test_a_part_left_unread_is_skipped_and_the_next_one_still_arrives():
    got = asyncio.run(_read_all(_body(*PARTS), 100, skip_files=True))
    assert [(n, f) for n, f, _ in got] == [(n, f) for n, f, _ in PARTS]
    assert got[-1] == PARTS[-1]


def test_a_body_cut_short_is_malformed():
    body = _body(*PARTS)
    with pytest.raises(MalformedMultipart):
        asyncio.run(_read_all(body[: len(body) // 2], 100))


def test_a_part_without_a_name_is_malformed():
    body = f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
    with pytest.raises(MalformedMultipart):
        asyncio.run(_read_all(body, 100))


@pytest.mark.parametrize("ctype", [None, "application/json", "multipart/form-data"],
                         ids=["none", "json", "no-boundary"])
def test_only_multipart_with_a_boundary_is_read(ctype):
    with pytest.raises(NotMultipart):
        FormReader(ctype, _stream(b"", 1))


def test_a_huge_text_field_is_refused():
    body = _body(("title", None, b"x" * 100_000))
    with pytest.raises(FieldTooLarge):
        asyncio.run(_read_all(body, 4096))
