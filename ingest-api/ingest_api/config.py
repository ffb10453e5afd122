"""The API's own settings (DARKROOM_API_*); engine addresses live in
connectors.settings, the image limits the stages share in schemas.media.

Read once when the application starts (its lifespan), never at import, so a
test can set the environment first. Every limit has a named default.
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024
GiB = 1024 * MiB
DAY_S = 24 * 60 * 60
# A user name becomes part of object keys (originals/<owner>/...), so keep it plain.
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_API_", extra="ignore")

    readiness_timeout_s: float = Field(2.0, description="How long /readyz waits for each engine.")
    jwt_secret: SecretStr = Field(description="Required. Signs access tokens (HS256); at least 32 "
                                              "characters. The local stack generates one.")
    access_token_ttl_s: int = Field(900, gt=0, description="Lifetime of an access token.")
    refresh_token_ttl_s: int = Field(30 * DAY_S, gt=0, description="Lifetime of a refresh token (a "
                                                                   "login lasts this long unused).")
    min_password_chars: int = Field(10, gt=0, description="Shortest password accepted at sign-up.")
    default_quota_bytes: int = Field(10 * GiB, gt=0, description="Storage of a user or organization "
                                                                 "without a quota of its own.")
    uploads_per_minute: int = Field(600, gt=0, description="Uploads a key or user may start per minute.")
    reads_per_minute: int = Field(6000, gt=0, description="Reads a key, user or anonymous address may "
                                                          "make per minute.")
    rate_window_s: int = Field(60, gt=0, description="The window the two limits above count in (a "
                                                     "minute: change it only to test).")
    retention_days: int = Field(30, gt=0, description="How long a deleted image can be restored "
                                                      "before it is purged.")
    share_max_lifetime_s: int = Field(30 * DAY_S, gt=0, description="Longest lifetime of a share link.")
    max_file_bytes: int = Field(50 * MiB, gt=0, description="Largest original accepted, in bytes.")
    max_files_per_batch: int = Field(500, gt=0, description="Most files in one batch upload.")
    max_batch_bytes: int = Field(2048 * MiB, gt=0, description="Most file bytes in one batch upload.")
    upload_threads: int = Field(
        32, gt=0, description="Uploads streamed to MinIO at the same time; more wait their turn.")
    wait_timeout_s: float = Field(
        30.0, ge=0, description="How long `?wait=true` waits for the variants before answering 202.")
    presign_expiry_s: int = Field(
        3600, gt=0, description="Lifetime of signed URLs (originals, private variants).")
    publish_timeout_s: float = Field(
        10.0, gt=0, description="How long an upload waits for Kafka to confirm its event.")
    idempotency_ttl_s: int = Field(
        86400, gt=0, description="How long an Idempotency-Key and its answer are remembered.")
    stale_claim_s: float = Field(
        300.0, gt=0, description="Age after which a dedup claim whose record never appeared (a "
                                 "crashed upload) may be taken over by a new upload of the bytes.")
    staging_max_age_s: float = Field(
        3600.0, gt=0, description="Age after which the relay removes a staging object.")
    relay_interval_s: float = Field(
        5.0, gt=0, description="How often the relay retries changes not yet propagated.")
    # The resumable (tus) and direct (presigned PUT) doors, and the uploaders' bulk check.
    upload_expiry_s: float = Field(
        24 * 3600.0, gt=0, description="Age after which an unfinished tus or presigned upload expires "
                                       "and its parts are removed.")
    upload_url_expiry_s: int = Field(
        3600, gt=0, description="Lifetime of a presigned PUT URL (the most a client may ask for).")
    direct_multipart_bytes: int = Field(
        16 * MiB, gt=0, description="Above this size, POST /v1/uploads answers a multipart upload.")
    direct_part_bytes: int = Field(
        8 * MiB, ge=5 * MiB, description="Part size of a multipart presigned upload (S3's least: 5 MiB).")
    handoff_grace_s: float = Field(
        30.0, ge=0, description="How long a finished tus upload is left to its post-finish hook before "
                                "the reconciler hands it to the commit path itself.")
    reconcile_interval_s: float = Field(
        10.0, gt=0, description="How often the reconciler looks for lost hand-offs and expired uploads.")
    check_max_hashes: int = Field(
        1000, gt=0, description="Most SHA-256 hashes one POST /v1/images/check may ask about.")

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("DARKROOM_API_JWT_SECRET must be at least 32 characters")
        return value
