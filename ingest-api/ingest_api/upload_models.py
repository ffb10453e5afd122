"""What the upload doors (tus, presigned PUT) and the bulk check read and
answer, as pydantic models (they make /docs too)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest_api.models import ErrorDetail, UploadFields

SHA256 = r"^[0-9a-fA-F]{64}$"

UploadState = Literal["uploading", "committing", "committed", "refused", "expired", "terminated"]


class DirectUploadIn(UploadFields):
    """An upload the client PUTs to storage itself, then completes."""

    model_config = ConfigDict(extra="forbid")
    size: int = Field(ge=0, description="The file's size in bytes; the stored object must have it.")
    type: str = Field(max_length=100, description="The file's MIME type (image/jpeg, image/png, ...); the "
                                                  "stored bytes must be of it.")
    sha256: str | None = Field(None, pattern=SHA256, description="The file's SHA-256, hex; when given, "
                                                                 "the stored bytes must hash to it.")
    album: str | None = Field(None, max_length=64, description="Upload into this album.")
    expires_in_s: int | None = Field(None, gt=0, description="Lifetime of the URLs; at most (and by "
                                                             "default) DARKROOM_API_UPLOAD_URL_EXPIRY_S.")


class PartUrl(BaseModel):
    part_number: int
    url: str


class DirectUploadOut(BaseModel):
    id: str
    method: Literal["PUT"] = "PUT"
    url: str | None = Field(None, description="PUT the whole file here (when the upload has no parts).")
    parts: list[PartUrl] = Field(default_factory=list, description="Or PUT part n (bytes (n-1)*part_bytes "
                                                                   "up to part_bytes of them) to its URL.")
    part_bytes: int | None = None
    headers: dict[str, str] = Field(description="Send these with each PUT.")
    expires_at: datetime = Field(description="The URLs stop working then.")
    complete_url: str = Field(description="POST here once every byte is stored.")


class UploadStatusOut(BaseModel):
    id: str = Field(description="Darkroom's id of the upload (for tus, the start of the upload URL's id).")
    door: Literal["tus", "tus-part", "direct"]
    status: UploadState = Field(description="uploading (bytes still coming), committing (being checked), "
                                            "committed (see image_id), refused (see error), expired, "
                                            "terminated.")
    image_id: str | None = None
    duplicate: bool = Field(False, description="The bytes matched an image the owner already had.")
    error: ErrorDetail | None = None
    size: int
    expires_at: datetime = Field(description="An unfinished upload is removed then.")


class TusOut(BaseModel):
    endpoint: str = Field(description="Create tus uploads here (tus 1.0: creation, creation-with-upload, "
                                      "termination, concatenation).")
    max_file_bytes: int
    expiry_s: float = Field(description="An unfinished upload is removed this long after its creation.")
    metadata: list[str] = Field(description="Upload-Metadata keys Darkroom reads; others are ignored.")


class CheckIn(BaseModel):
    sha256: list[str] = Field(description="SHA-256 hashes of files, hex (at most "
                                          "DARKROOM_API_CHECK_MAX_HASHES).")


class CheckOut(BaseModel):
    found: dict[str, str] = Field(description="Hash -> the id of your image with those bytes: an upload "
                                              "of them would answer that image as a duplicate.")
    missing: list[str] = Field(description="Hashes you have no image of.")
