"""Transforms for viewers and presets for owners: the API's part of
on-demand rendering (the grammar is schemas/transforms.py, the render
service ingest-api/render). Clients never hold the signing key: anyone who
may see an image asks the API, which checks the options and answers the
signed URL.

- A transform URL of a public (or unlisted) image never expires: it is a
  stable address browsers and nginx keep. One of a private image lasts as
  long as a signed variant URL; its owners may choose how long, up to the
  longest a share link may last.
- A watermark image must be one the caller may see.
- A preset is a name for options, the owner's: GET .../transform?preset=
  resolves it against the image owner's presets, so it is the very output
  (one object, one cache entry) the resize stage made at upload.
Blocking functions, run in threads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors import minio
from connectors.presets import Preset, PresetRepository
from connectors.records import ImageRecord, ImageRepository
from connectors.sharing import Sharing
from ingest_api import catalog
from ingest_api.access import Permission, Viewer
from ingest_api.delivery import Delivery
from ingest_api.errors import DarkroomError, Forbidden, NotFound
from schemas import transforms
from schemas.transforms import InvalidOptions, Options, TransformLimits


class InvalidTransform(DarkroomError):
    """Options that can never render (400, with the reason)."""

    code = "invalid_transform"


def options_of(params: dict[str, object], limits: TransformLimits) -> Options:
    try:
        return transforms.from_params(params, limits)
    except InvalidOptions as exc:
        raise InvalidTransform(str(exc)) from None


def preset_options(*, presets: PresetRepository, owner: str, name: str, limits: TransformLimits) -> Options:
    found = presets.get(owner, name)
    if found is None:
        raise NotFound(f"the image's owner has no preset named {name}")
    try:
        return transforms.parse(found.options, limits)
    except InvalidOptions as exc:  # defined under limits that have been lowered since
        raise InvalidTransform(f"preset {name}: {exc}") from None


def check_watermark(*, images: ImageRepository, sharing: Sharing, viewer: Viewer, options: Options) -> None:
    """A watermark image must be one the caller may see."""
    if options.watermark_image is None:
        return
    try:
        catalog.access(images=images, sharing=sharing, viewer=viewer, image_id=options.watermark_image)
    except NotFound:
        raise InvalidTransform(f"no image {options.watermark_image} to watermark with") from None


def mint(*, record: ImageRecord, level: Permission, options: Options, delivery: Delivery,
         expires_in: int | None, max_lifetime_s: int) -> tuple[str, datetime | None]:
    """The signed URL of `options` on the image, and when it expires (None: never)."""
    where = record.placement or minio.placement(record.visibility, record.deleted)
    if expires_in is not None:
        if where == minio.PRIVATE and level < Permission.OWN:
            raise Forbidden("only the image's owners choose how long a private image's URL lasts")
        if not 0 < expires_in <= max_lifetime_s:
            raise InvalidTransform(f"expires_in must be 1 to {max_lifetime_s} s")
    url = delivery.transform_url(where, record.id, options.text(), expires_in)
    if where == minio.PUBLIC and expires_in is None:
        return url, None
    lifetime = expires_in or delivery.expiry_s
    return url, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lifetime)


def define_preset(*, presets: PresetRepository, images: ImageRepository, sharing: Sharing, viewer: Viewer,
                  name: str, params: dict[str, object], limits: TransformLimits) -> Preset:
    assert viewer.username is not None
    options = options_of(params, limits)
    check_watermark(images=images, sharing=sharing, viewer=viewer, options=options)
    return presets.put(viewer.username, name, options.text())
