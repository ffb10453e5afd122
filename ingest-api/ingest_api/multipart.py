"""multipart/form-data read as a stream of parts, each a stream of chunks.

python-multipart's parser is push-style (it calls back as bytes arrive);
this turns it into async iteration over `request.stream()`, so a part's
bytes can be passed on as they come and the body is never held whole. Each
part must be consumed (or is drained) before the next one is yielded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from ingest_api.errors import FieldTooLarge, MalformedMultipart, NotMultipart

MAX_FIELD_BYTES = 64 * 1024  # a text field (title, description, tags) is never bigger


@dataclass
class Part:
    name: str
    filename: str | None  # set for file parts
    content_type: str | None
    _form: FormReader = field(repr=False)
    _done: bool = field(default=False, repr=False)

    async def chunks(self) -> AsyncIterator[bytes]:
        while not self._done:
            kind, data = await self._form._next_event()
            if kind == "data":
                yield data
            elif kind == "end":
                self._done = True
            else:
                raise MalformedMultipart("the body ended inside a part")

    async def text(self, limit: int = MAX_FIELD_BYTES) -> str:
        value = bytearray()
        async for chunk in self.chunks():
            value += chunk
            if len(value) > limit:
                raise FieldTooLarge(f"field {self.name!r} is over {limit} bytes")
        return value.decode("utf-8", errors="replace")

    async def drain(self) -> None:
        async for _ in self.chunks():
            pass


class FormReader:
    def __init__(self, content_type: str | None, body: AsyncIterator[bytes]) -> None:
        ctype, options = parse_options_header(content_type or "")
        boundary = options.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise NotMultipart("send the upload as multipart/form-data")
        self._events: deque[tuple[str, object]] = deque()
        self._headers: dict[str, str] = {}
        self._name = self._value = b""
        self._body = body.__aiter__()
        self._eof = False
        self._parser = MultipartParser(boundary, {
            "on_header_field": lambda d, s, e: self._extend("_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._extend("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": lambda d, s, e: self._events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: self._events.append(("end", None)),
        })

    def _extend(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _header_end(self) -> None:
        # Header bytes are taken as latin-1 here and the file name re-read as UTF-8 below.
        self._headers[self._name.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._name = self._value = b""

    def _headers_finished(self) -> None:
        self._events.append(("part", self._headers))
        self._headers = {}

    async def _next_event(self) -> tuple[str, object]:
        while not self._events:
            if self._eof:
                return "eof", None
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._eof = True
                if self._parser.state != MultipartState.END:
                    raise MalformedMultipart("the body ended before the closing boundary") from None
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise MalformedMultipart(str(exc)) from exc
        return self._events.popleft()

    async def parts(self) -> AsyncIterator[Part]:
        while True:
            kind, headers = await self._next_event()
            if kind == "eof":
                return
            if kind != "part":
                raise MalformedMultipart(f"unexpected {kind} outside a part")
            disposition, options = parse_options_header(headers.get("content-disposition", ""))
            if disposition != b"form-data" or b"name" not in options:
                raise MalformedMultipart("a part without `Content-Disposition: form-data; name=...`")
            filename = options.get(b"filename")
            part = Part(
                name=options[b"name"].decode("utf-8", "replace"),
                filename=filename.decode("utf-8", "replace") if filename is not None else None,
                content_type=headers.get("content-type"),
                _form=self,
            )
            yield part
            await part.drain()  # whatever the consumer left of this part
