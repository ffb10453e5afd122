"""The three ways `darkroom upload` sends a file, and the API calls around them.

    tus     resumable (tuspy): create, PATCH the bytes a chunk at a time; a
            run killed half way resumes from the offset the server has.
            Then ask the API what became of it (the commit happens after
            the last PATCH, in tusd's post-finish hook).
    direct  POST /v1/uploads, PUT the bytes to the presigned URL (or each
            part's), POST .../complete.
    post    POST /v1/images with the file in the request.

Errors are sorted once: a refusal (a 4xx other than 408, 409, 423, 429) is
the answer for that file and is never retried; anything else (the network,
a 5xx, a rate limit, an upload of the same bytes in flight, tusd's 400 for a
PATCH that another request for the same upload interrupted) is Transient,
which the caller retries with backoff, from the offset the server has.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError
from tusclient.uploader import Uploader

from devstack.upload_files import DUPLICATE, UPLOADED, Item

RETRIABLE_STATUS = frozenset({408, 409, 423, 425, 429})
# tusd v2 hands an upload's lock to a newer request (a HEAD, another client
# resuming) and ends the PATCH holding it with this 400: the bytes it had are
# kept, so carrying on from the server's offset is the answer, not giving up.
TUS_INTERRUPTED = b"ERR_UPLOAD_INTERRUPTED"
POLL_S = (0.1, 0.2, 0.5, 1.0, 2.0)  # asking what became of a finished upload: soon, then less often
Progress = Callable[[int], None]  # bytes just sent


class Transient(Exception):
    """Try again later: the network, the server busy or away."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Refused(Exception):
    """The API's answer for this file, for good: `code: message`."""


@dataclass(frozen=True)
class Fields:
    album: str | None = None
    tags: str | None = None
    visibility: str | None = None

    def form(self) -> dict[str, str]:
        return {k: v for k, v in (("tags", self.tags), ("visibility", self.visibility)) if v}


def _problem(status: int | None, body: bytes | str | None, fallback: str) -> str:
    try:
        error = json.loads(body or b"")["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"http_{status}: {fallback}" if status else fallback


def sort_error(status: int | None, body: bytes | str | None, fallback: str, retry_after: str | None = None
               ) -> Exception:
    """Refused or Transient, from an HTTP status (None: no answer at all)."""
    raw = body.encode() if isinstance(body, str) else body or b""
    if (status is not None and 400 <= status < 500 and status not in RETRIABLE_STATUS
            and not (status == 400 and TUS_INTERRUPTED in raw)):
        return Refused(_problem(status, body, fallback))
    wait = float(retry_after) if retry_after and retry_after.isdigit() else None
    return Transient(_problem(status, body, fallback), wait)


class Api:
    """The Darkroom API, as the uploader uses it."""

    def __init__(self, url: str, key: str, timeout_s: float = 60) -> None:
        self.url, self.key = url.rstrip("/"), key
        self.headers = {"Authorization": f"Bearer {key}"}
        self.http = httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout_s)

    def call(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise sort_error(response.status_code, response.content, response.reason_phrase,
                             response.headers.get("Retry-After"))
        return response

    def check(self, hashes: list[str]) -> dict[str, str]:
        return dict(self.call("POST", "/v1/images/check", json={"sha256": hashes}).json()["found"])

    def tus_endpoint(self) -> str:
        return str(self.call("GET", "/v1/uploads/tus").json()["endpoint"])

    def image_status(self, image_id: str) -> str:
        return str(self.call("GET", f"/v1/images/{image_id}").json()["status"])

    def close(self) -> None:
        self.http.close()


def _outcome(item: Item, answer: dict) -> None:
    """An upload's end, as GET /v1/uploads/... or POST /v1/images answers it."""
    if answer.get("status") == "refused":
        error = answer.get("error") or {}
        raise Refused(f"{error.get('code')}: {error.get('message')}")
    if answer.get("status") in ("expired", "terminated"):
        raise Transient(f"the upload {answer['status']}; starting again")
    item.image_id = answer.get("image_id") or answer.get("id")
    item.status = DUPLICATE if answer.get("duplicate") else UPLOADED


class TusDoor:
    """Resumable uploads through tusd, with tuspy."""

    def __init__(self, api: Api, fields: Fields, chunk_bytes: int, on_url: Callable[[Item], None],
                 result_timeout_s: float = 300) -> None:
        self.api, self.fields, self.chunk_bytes = api, fields, chunk_bytes
        self.on_url, self.result_timeout_s = on_url, result_timeout_s
        self.client = TusClient(api.tus_endpoint(), headers=dict(api.headers))

    def _metadata(self, item: Item) -> dict[str, str]:
        meta = {"filename": item.path.name, "filetype": item.mime_type or "", "sha256": item.sha256 or ""}
        meta.update({k: v for k, v in (("album", self.fields.album), *self.fields.form().items()) if v})
        return {k: v for k, v in meta.items() if v}

    def _uploader(self, item: Item) -> Uploader:
        path = str(item.path)
        if item.url:
            try:  # a run before created it: carry on from the server's offset
                return self.client.uploader(path, url=item.url, chunk_size=self.chunk_bytes)
            except TusCommunicationError as exc:
                if exc.status_code not in (404, 410):
                    raise sort_error(exc.status_code, exc.response_content, str(exc)) from None
                item.url = None  # expired or ended: a new upload
        uploader = self.client.uploader(path, chunk_size=self.chunk_bytes, metadata=self._metadata(item))
        try:
            uploader.set_url(uploader.create_url())
        except TusCommunicationError as exc:
            raise sort_error(exc.status_code, exc.response_content, str(exc)) from None
        item.url = uploader.url
        self.on_url(item)
        return uploader

    def send(self, item: Item, progress: Progress) -> None:
        uploader = self._uploader(item)
        progress(uploader.offset)  # what an earlier run sent counts as done, not as sent now
        while uploader.offset < item.size:
            before = uploader.offset
            try:
                uploader.upload_chunk()
            except TusCommunicationError as exc:
                raise sort_error(exc.status_code, exc.response_content, str(exc)) from None
            item.sent += uploader.offset - before
            progress(uploader.offset - before)
        assert item.url is not None
        self._wait_result(item, item.url.rstrip("/").rsplit("/", 1)[-1])

    def _wait_result(self, item: Item, upload_id: str) -> None:
        deadline = time.monotonic() + self.result_timeout_s
        for attempt in range(1_000_000):
            answer = self.api.call("GET", f"/v1/uploads/tus/{upload_id}").json()
            if answer["status"] not in ("uploading", "committing"):
                _outcome(item, answer)
                return
            if time.monotonic() > deadline:
                raise Transient(f"no answer for upload {upload_id} in {self.result_timeout_s:.0f} s")
            time.sleep(POLL_S[min(attempt, len(POLL_S) - 1)])


class DirectDoor:
    """Presigned PUT (or parts), then complete."""

    def __init__(self, api: Api, fields: Fields) -> None:
        self.api, self.fields = api, fields
        self.storage = httpx.Client(timeout=300)  # the presigned URLs carry their own authority

    def send(self, item: Item, progress: Progress) -> None:
        body: dict[str, object] = {"size": item.size, "type": item.mime_type, "sha256": item.sha256}
        if self.fields.album:
            body["album"] = self.fields.album
        body.update(self.fields.form())
        plan = self.api.call("POST", "/v1/uploads", json=body).json()
        with item.path.open("rb") as file:
            targets = ([(plan["url"], item.size)] if plan.get("url") else
                       [(p["url"], plan["part_bytes"]) for p in plan["parts"]])
            for url, length in targets:
                chunk = file.read(length)
                self._put(url, chunk, plan["headers"])
                item.sent += len(chunk)
                progress(len(chunk))
        response = self.api.call("POST", f"/v1/uploads/{plan['id']}/complete")
        # 202 with the new image's id, or 200 with the image these bytes already were.
        _outcome(item, {"image_id": response.json()["id"], "duplicate": response.status_code == 200})

    def _put(self, url: str, chunk: bytes, headers: dict[str, str]) -> None:
        try:
            response = self.storage.put(url, content=chunk, headers=headers)
        except httpx.HTTPError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:
            raise sort_error(response.status_code, None, f"storage answered {response.status_code}")


class PostDoor:
    """POST /v1/images, the whole file in the request."""

    def __init__(self, api: Api, fields: Fields) -> None:
        self.api, self.fields = api, fields

    def send(self, item: Item, progress: Progress) -> None:
        params = {"album": self.fields.album} if self.fields.album else {}
        with item.path.open("rb") as file:
            response = self.api.call("POST", "/v1/images", params=params, data=self.fields.form(),
                                     files={"file": (item.path.name, file, item.mime_type)})
        item.sent += item.size
        progress(item.size)
        answer = response.json()
        _outcome(item, {"image_id": answer["id"], "duplicate": response.status_code == 200})


Door = TusDoor | DirectDoor | PostDoor
DOORS = ("tus", "direct", "post")


def open_door(name: str, api: Api, fields: Fields, chunk_bytes: int, on_url: Callable[[Item], None]) -> Door:
    if name == "tus":
        return TusDoor(api, fields, chunk_bytes, on_url)
    if name == "direct":
        return DirectDoor(api, fields)
    return PostDoor(api, fields)

