"""The typed errors of the ingest core, each with a stable code.

The core raises these and knows nothing of HTTP; the edge (problems.py) maps
each code to a status and to the one error body every response uses. A batch
upload reports them per file instead.
"""

from __future__ import annotations


class DarkroomError(Exception):
    code = "internal"
    headers: dict[str, str] | None = None

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:  # a more precise code of the same kind (same status)
            self.code = code


# -- the upload itself ----------------------------------------------------

class EmptyFile(DarkroomError):
    """The file has no bytes."""

    code = "empty_file"


class TooLarge(DarkroomError):
    """The file is over the byte limit."""

    code = "too_large"


class UnsupportedFormat(DarkroomError):
    """The bytes are not an image of a format Darkroom takes."""

    code = "unsupported_format"


class CorruptImage(DarkroomError):
    """The format is known but its header is unreadable."""

    code = "corrupt_image"


class TooManyPixels(DarkroomError):
    """Width x height is over the pixel limit."""

    code = "too_many_pixels"


class TooManyFrames(DarkroomError):
    """The animation has more frames than allowed."""

    code = "too_many_frames"


class UploadInProgress(DarkroomError):
    """The same bytes are being uploaded by the same owner right now."""

    code = "upload_in_progress"


# -- the doors that find their bytes in storage (tus, presigned PUT) ---------

class SizeMismatch(DarkroomError):
    """The stored object is not the size the client declared."""

    code = "size_mismatch"


class TypeMismatch(DarkroomError):
    """The stored object is not the type the client declared."""

    code = "type_mismatch"


class ChecksumMismatch(DarkroomError):
    """The stored object does not hash to the SHA-256 the client declared."""

    code = "checksum_mismatch"


class UploadIncomplete(DarkroomError):
    """The upload's bytes are not (all) in storage yet."""

    code = "upload_incomplete"


class UploadExpired(DarkroomError):
    """The upload was not finished in time; its parts are gone."""

    code = "upload_expired"


# -- the request around it ------------------------------------------------

class BatchTooLarge(DarkroomError):
    """The batch is over its byte limit."""

    code = "batch_too_large"


class TooManyFiles(DarkroomError):
    """The batch has more files than allowed."""

    code = "too_many_files"


class FieldTooLarge(DarkroomError):
    """A form field is over its size limit."""

    code = "field_too_large"


class NotMultipart(DarkroomError):
    """The body is not multipart/form-data."""

    code = "not_multipart"


class MalformedMultipart(DarkroomError):
    """The multipart body is malformed."""

    code = "malformed_multipart"


class MissingFile(DarkroomError):
    """No file part in the upload."""

    code = "missing_file"


class UnexpectedField(DarkroomError):
    """A part the endpoint does not take."""

    code = "unexpected_field"


class InvalidField(DarkroomError):
    """A form field has a value the endpoint refuses."""

    code = "invalid_field"


class Aborted(DarkroomError):
    """The request body stopped before the upload was complete."""

    code = "aborted"


# -- engines --------------------------------------------------------------

class EngineUnavailable(DarkroomError):
    """An engine did not answer; retry later."""

    code = "unavailable"


# -- who is calling ----------------------------------------------------------

class Unauthenticated(DarkroomError):
    """No valid credentials: missing_api_key, invalid_api_key, invalid_credentials,
    invalid_token, token_expired or token_reused."""

    code = "invalid_credentials"
    headers = {"WWW-Authenticate": "Bearer"}


class InsufficientScope(DarkroomError):
    """The key or session lacks the scope the operation needs."""

    code = "insufficient_scope"


class UsernameTaken(DarkroomError):
    code = "username_taken"


class QuotaExceeded(DarkroomError):
    """The account's storage quota would be exceeded."""

    code = "quota_exceeded"


class RateLimited(DarkroomError):
    """Too many requests this minute."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after_s)}


# -- reading and editing images --------------------------------------------

class NotFound(DarkroomError):
    """No such image, or not one the caller may see (never says which)."""

    code = "not_found"


class Forbidden(DarkroomError):
    """The caller may see the image but not change it."""

    code = "forbidden"


class NotReady(DarkroomError):
    """The image has no variants yet."""

    code = "not_ready"


class InvalidCursor(DarkroomError):
    """The paging cursor was not made by this API."""

    code = "invalid_cursor"


# What is wrong with one file, not with the request: a batch reports these per file.
FILE_ERRORS: tuple[type[DarkroomError], ...] = (
    EmptyFile, TooLarge, UnsupportedFormat, CorruptImage, TooManyPixels, TooManyFrames)
# What a stored object can be refused for at a door: the file's own faults, a
# declaration it does not match, or no room left in the quota.
STORED_ERRORS: tuple[type[DarkroomError], ...] = (
    *FILE_ERRORS, SizeMismatch, TypeMismatch, ChecksumMismatch, QuotaExceeded)
