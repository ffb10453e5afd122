"""The API's own settings (DARKROOM_API_*); engine addresses live in connectors.settings."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_API_", extra="ignore")
    # How long /readyz waits for each engine before calling it unreachable.
    readiness_timeout_s: float = 2.0
