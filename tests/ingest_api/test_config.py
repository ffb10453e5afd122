"""ApiSettings and the shared image limits: keys, users and required values."""

from __future__ import annotations

import pytest
from ingest_api.config import ApiSettings
from pydantic import ValidationError

from schemas.media import ImageLimits


def test_keys_map_to_users_and_the_dev_key_to_dev(monkeypatch):
    monkeypatch.setenv("DARKROOM_API_DEV_API_KEY", "d" * 20)
    monkeypatch.setenv("DARKROOM_API_KEYS", " k1:alice , k:2:bob,")
    assert ApiSettings().users_by_key() == {"k1": "alice", "k:2": "bob", "d" * 20: "dev"}


def test_defaults_are_the_documented_limits(monkeypatch):
    monkeypatch.setenv("DARKROOM_API_DEV_API_KEY", "d" * 20)
    settings = ApiSettings()
    assert settings.max_file_bytes == 50 * 1024**2
    assert (settings.max_files_per_batch, settings.max_batch_bytes) == (500, 2 * 1024**3)
    limits = ImageLimits()
    assert (limits.max_pixels, limits.max_frames) == (100_000_000, 1000)
    assert settings.wait_timeout_s == 30


@pytest.mark.parametrize(("env", "value"), [
    ("DARKROOM_API_DEV_API_KEY", None),
    ("DARKROOM_API_DEV_API_KEY", "short"),
    ("DARKROOM_API_KEYS", "no-user-here"),
    ("DARKROOM_API_KEYS", "key:Not A Name"),
], ids=["no-dev-key", "short-dev-key", "no-colon", "bad-user"])
def test_bad_settings_stop_the_start(monkeypatch, env, value):
    monkeypatch.delenv("DARKROOM_API_DEV_API_KEY", raising=False)
    if env != "DARKROOM_API_DEV_API_KEY":
        monkeypatch.setenv("DARKROOM_API_DEV_API_KEY", "d" * 20)
    if value is not None:
        monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError):
        ApiSettings()
