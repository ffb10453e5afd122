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
# A user name becomes part of object keys (originals/<owner>/...), so keep it plain.
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_API_", extra="ignore")

    readiness_timeout_s: float = Field(2.0, description="How long /readyz waits for each engine.")
    dev_api_key: SecretStr = Field(
        description="Required. Bearer key of the user `dev` until accounts exist; the local stack "
                    "generates one.")
    keys: SecretStr = Field(
        SecretStr(""), description="More users, as `key:user,key:user` (user names: a-z, 0-9, _ and -).")
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
    stale_claim_s: float = Field(
        300.0, gt=0, description="Age after which a dedup claim whose record never appeared (a "
                                 "crashed upload) may be taken over by a new upload of the bytes.")
    staging_max_age_s: float = Field(
        3600.0, gt=0, description="Age after which sweep_staging removes a staging object.")

    @field_validator("dev_api_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("DARKROOM_API_DEV_API_KEY must be at least 16 characters")
        return value

    @field_validator("keys")
    @classmethod
    def _parse_check(cls, value: SecretStr) -> SecretStr:
        _parse_keys(value.get_secret_value())
        return value

    def users_by_key(self) -> dict[str, str]:
        """Bearer key -> user name, the dev key included."""
        users = _parse_keys(self.keys.get_secret_value())
        users[self.dev_api_key.get_secret_value()] = "dev"
        return users


def _parse_keys(text: str) -> dict[str, str]:
    users: dict[str, str] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        key, sep, user = item.rpartition(":")
        if not sep or not key or not USER_NAME.match(user):
            raise ValueError("DARKROOM_API_KEYS must look like `key:user,key:user`")
        users[key] = user
    return users
