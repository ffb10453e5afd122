"""ApiSettings and the shared image limits: defaults and required values."""

from __future__ import annotations

import pytest
from ingest_api.config import ApiSettings
from pydantic import ValidationError

from schemas.media import ImageLimits

JWT = "j" * 32


def test_defaults_are_the_documented_limits(monkeypatch):
    monkeypatch.setenv("DARKROOM_API_JWT_SECRET", JWT)
    settings = ApiSettings()
    assert settings.max_file_bytes == 50 * 1024**2
    assert (settings.max_files_per_batch, settings.max_batch_bytes) == (500, 2 * 1024**3)
    limits = ImageLimits()
    assert (limits.max_pixels, limits.max_frames) == (100_000_000, 1000)
    assert settings.wait_timeout_s == 30
    assert (settings.access_token_ttl_s, settings.retention_days) == (900, 30)
    assert settings.default_quota_bytes == 10 * 1024**3


@pytest.mark.parametrize("value", [None, "too-short"], ids=["no-jwt-secret", "short-jwt-secret"])
def test_bad_settings_stop_the_start(monkeypatch, value):
    monkeypatch.delenv("DARKROOM_API_JWT_SECRET", raising=False)
    if value is not None:
        monkeypatch.setenv("DARKROOM_API_JWT_SECRET", value)
    with pytest.raises(ValidationError):
        ApiSettings()
