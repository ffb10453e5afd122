"""The render service's own settings (DARKROOM_RENDER_*); what a transform
may ask is schemas.transforms.TransformLimits (DARKROOM_TRANSFORM_*), the
originals' limits schemas.media.ImageLimits (DARKROOM_IMAGE_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RenderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_RENDER_", extra="ignore")

    workers: int = Field(0, ge=0, description="Render processes; 0 means one per core.")
    queue: int = Field(16, ge=0, description="Renders that may wait for a process; beyond that a request "
                                            "gets 503 `busy` with Retry-After (nginx does not cache it).")
    readiness_timeout_s: float = Field(2.0, gt=0, description="How long /readyz waits for each engine.")
