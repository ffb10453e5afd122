"""`Idempotency-Key` on uploads: a client that retries a request (its answer
was lost, the API restarted) gets the first answer again, never a second
image.

The key is the owner's: the same key from another owner is another key.
Its state lives in Cassandra (connectors/idempotency.py), so any replica,
and a restarted one, honours it. Once the form is read, and before anything
is committed, the request's fingerprint (the endpoint, the form's fields,
each file's name and SHA-256) is checked against the key:

- a new key is taken, the upload goes on, and its answer is stored: each
  file's image id (and whether it was a duplicate) or refusal;
- the same body with a stored answer: that answer again (the images as
  they are now), the staged files removed, nothing committed;
- the same body with no stored answer (the earlier request died, or runs
  now): the upload goes on; the dedup claim keeps each file to one image,
  so a file the earlier request committed comes back as that image;
- another body: 422 `idempotency_key_reused`, nothing committed.

An answer that says "retry" (a refusal of the whole request, 503
`unavailable`, 409 `upload_in_progress`, also for one file of a batch) is
not stored: a retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from connectors.idempotency import IdempotencyKeys, KeyUse
from connectors.records import ImageRepository
from ingest_api.errors import FILE_ERRORS, DarkroomError, NotFound
from ingest_api.ingest import Outcome, Staged
from ingest_api.problems import ApiError

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as the IETF draft and Stripe allow
DESCRIPTION = (
    "Optional: up to 255 visible ASCII characters, new for each request you mean (a UUID). A retry "
    "with the same key and the same body gets the first answer again and never makes a second image, "
    "on any replica, for 24 h (DARKROOM_API_IDEMPOTENCY_TTL_S). The same key with another body: 422 "
    "`idempotency_key_reused`. Answers that say to retry (503, 409) are not kept.")
_REFUSALS = {cls.code: cls for cls in FILE_ERRORS}
Results = list[tuple[str, Outcome | DarkroomError]]


class KeyReused(DarkroomError):
    """The key was used with another request body."""

    code = "idempotency_key_reused"


class Form(Protocol):
    fields: dict[str, str]
    files: list[tuple[str, Staged | DarkroomError]]


def fingerprint(endpoint: str, form: Form) -> str:
    files = [(name, item.sha256 if isinstance(item, Staged) else item.code) for name, item in form.files]
    canonical = json.dumps({"endpoint": endpoint, "fields": sorted(form.fields.items()), "files": files})
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answer(results: Results) -> str:
    return json.dumps([[name, {"code": r.code, "message": r.message} if isinstance(r, DarkroomError)
                        else {"id": r.record.id, "duplicate": r.duplicate}] for name, r in results])


def _results(answer: str, images: ImageRepository) -> Results:
    results: Results = []
    for name, item in json.loads(answer):
        if "code" in item:
            results.append((name, _REFUSALS[item["code"]](item["message"])))
            continue
        record = images.get(item["id"])
        if record is None or record.deleted:
            results.append((name, NotFound(f"image {item['id']}, made by this key, was deleted since")))
        else:
            results.append((name, Outcome(record, duplicate=item["duplicate"])))
    return results


class Attempt:
    """One upload request and its key."""

    def __init__(self, keys: IdempotencyKeys, images: ImageRepository, endpoint: str, owner: str,
                 key: str) -> None:
        if not _KEY.match(key):
            raise ApiError("invalid_request", "Idempotency-Key: 1 to 255 visible ASCII characters")
        self._keys, self._images, self._endpoint, self._owner, self.key = keys, images, endpoint, owner, key
        self._fingerprint = ""

    def _replay(self, use: KeyUse) -> Results | None:
        if use.fingerprint != self._fingerprint:
            raise KeyReused("this Idempotency-Key was used with another request body; use a new key "
                            "for a new request")
        return _results(use.answer, self._images) if use.answer is not None else None

    async def replay(self, form: Form) -> Results | None:
        """Before committing: the answer to give again, or None to go on."""
        self._fingerprint = fingerprint(self._endpoint, form)
        earlier = await run_in_threadpool(self._keys.begin, self._owner, self.key, self._fingerprint)
        return None if earlier is None else await run_in_threadpool(self._replay, earlier)

    async def remember(self, results: Results) -> Results:
        """After committing: store the answer (unless it says to retry); the
        first answer stored wins over a concurrent request's."""
        if any(isinstance(r, DarkroomError) and r.code not in _REFUSALS for _, r in results):
            return results
        first = await run_in_threadpool(self._keys.remember, self._owner, self.key, self._fingerprint,
                                        _answer(results))
        if first is None or first.answer is None:
            return results
        return await run_in_threadpool(_results, first.answer, self._images)


def _attempt(endpoint: str) -> Callable[..., Callable[[str], Attempt | None]]:
    def attempt(request: Request, key: Annotated[str | None, Header(
            alias="Idempotency-Key", description=DESCRIPTION)] = None) -> Callable[[str], Attempt | None]:
        state = request.app.state
        return lambda owner: None if key is None else Attempt(state.idempotency, state.images, endpoint,
                                                              owner, key)
    return attempt


# The request's Idempotency-Key, for an owner (`key(owner)`); None without the header.
KeyFor = Callable[[str], Attempt | None]
UploadKey = Annotated[KeyFor, Depends(_attempt("upload"))]
BatchKey = Annotated[KeyFor, Depends(_attempt("batch"))]
