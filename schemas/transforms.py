"""Transforms: what an on-demand render may be asked for, decided once for
the API (which signs transform URLs), the render service (which answers
them), the resize stage (presets, and the ladder's larger rungs) and the
README. Pure values, no engine, no pixels.

A transform URL (connectors.nginx.UrlSigner signs it, nginx and the render
service verify it):

    /t/<kid>.<expires>.<signature>/<options>/<public|private>/<image id>

<options> is `name:value` items joined by commas, in the order of ORDER,
each at most once; `f` is always written and every other option only when
it differs from its default. That is the canonical form: one spelling per
output, so one cache entry and one stored object per output, and a URL
spelled otherwise is refused (with the canonical spelling in the reason)
rather than rendered twice under two names.

    w:640,h:480,fit:fill,g:smart,f:webp,q:75

The rendered result is stored under the image's placement as
`<placement>v/<image id>/t/<options>` (key()), which is also the nginx
cache key of the URL, so the moves, sweeps and purges that follow a change
of visibility or a delete cover transforms like any other variant.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

FORMATS = ("jpeg", "webp", "avif", "png", "gif")
LOSSY = frozenset({"jpeg", "webp", "avif"})  # the formats with a quality
ANIMATABLE = frozenset({"webp", "gif"})
# The encoders' quality when q is not given: the ladder's (streams.imaging.LadderOptions).
DEFAULT_QUALITY = {"jpeg": 85, "webp": 80, "avif": 60}
FITS = ("fit", "fill", "crop")  # inside the box | cover it and cut the rest | cut at the original's scale
COMPASS = ("c", "n", "ne", "e", "se", "s", "sw", "w", "nw")
GRAVITIES = (*COMPASS, "smart")  # smart: the most interesting part (libvips' attention measure)
ROTATIONS = (0, 90, 180, 270)  # clockwise, after the EXIF orientation
FLIPS = ("", "h", "v", "hv")
TEXT_MAX_CHARS = 100
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_NUMBER = re.compile(r"(0|[1-9][0-9]*)(\.[0-9])?")
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


class TransformLimits(BaseSettings):
    """What a transform may ask for, checked by the API when it signs and by
    the render service before it renders (DARKROOM_TRANSFORM_*)."""

    model_config = SettingsConfigDict(env_prefix="DARKROOM_TRANSFORM_", extra="ignore")
    max_side: int = Field(8192, gt=0, description="Largest width or height asked for (w, h).")
    max_output_pixels: int = Field(25_000_000, gt=0, description="Largest width x height of a result.")
    max_options_chars: int = Field(400, gt=0, description="Longest options segment of a URL.")
    formats: tuple[str, ...] = Field(FORMATS, description="Output formats the render service makes.")


class InvalidOptions(ValueError):
    """Options that can never render: a 400 with this reason."""


@dataclass(frozen=True)
class Options:
    """One output, as asked. Geometry is resolved against the original at
    render time (streams.imaging.recipe)."""

    w: int | None = None  # box width, px
    h: int | None = None
    fit: str = "fit"
    g: str = "c"  # which part fill and crop keep
    r: int = 0
    flip: str = ""
    blur: float = 0.0  # gaussian sigma, px of the output
    sharpen: float = 0.0  # sigma
    br: int = 0  # brightness, -100..100 (% of full scale added)
    ct: int = 0  # contrast, -100..100 (% more or less slope around mid-grey)
    wm: str = ""  # "t.<base64url text>" or "i.<image id>"
    wmp: str = "se"  # where the watermark sits
    wmo: int = 50  # its opacity, %
    wms: int = 25  # its width, % of the output's width
    anim: bool = False  # keep every frame (webp, gif)
    f: str = "jpeg"
    q: int | None = None  # None: the format's default (the ladder's)

    @property
    def watermark_text(self) -> str | None:
        return _unb64(self.wm[2:]) if self.wm.startswith("t.") else None

    @property
    def watermark_image(self) -> str | None:
        return self.wm[2:] if self.wm.startswith("i.") else None

    def text(self) -> str:
        """The canonical spelling."""
        return ",".join(f"{name}:{_write(getattr(self, name))}" for name in ORDER
                        if name == "f" or getattr(self, name) != _default(self, name))

    def check(self, limits: TransformLimits) -> Options:
        """Self, or InvalidOptions naming what is wrong."""
        _check(self, limits)
        return self


ORDER = ("w", "h", "fit", "g", "r", "flip", "blur", "sharpen", "br", "ct", "wm", "wmp", "wmo", "wms", "anim",
         "f", "q")
_DEFAULTS = {f.name: f.default for f in fields(Options)}
assert tuple(_DEFAULTS) == ORDER


def _default(options: Options, name: str) -> object:
    # q:85 with f:jpeg is the same output as no q: one spelling, so q is left out.
    if name == "q" and options.q == DEFAULT_QUALITY.get(options.f):
        return options.q
    return _DEFAULTS[name]


def parse(text: str, limits: TransformLimits | None = None) -> Options:
    """The options of a URL segment; InvalidOptions unless valid and canonical."""
    limits = limits or TransformLimits()
    if not text or len(text) > limits.max_options_chars:
        raise InvalidOptions(f"the options must be 1 to {limits.max_options_chars} characters")
    values: dict[str, object] = {}
    for item in text.split(","):
        name, sep, raw = item.partition(":")
        if not sep or name not in _READERS:
            raise InvalidOptions(f"{item!r} is not an option (name:value, names: {', '.join(ORDER)})")
        if name in values:
            raise InvalidOptions(f"{name} is given twice")
        values[name] = _READERS[name](name, raw)
    options = Options(**values).check(limits)  # type: ignore[arg-type]
    canonical = options.text()
    if canonical != text:
        raise InvalidOptions(f"not in canonical form: write {canonical}")
    return options


# The API's names (query parameters and preset fields) -> the URL's.
PARAMS = {"w": "w", "h": "h", "fit": "fit", "gravity": "g", "rotate": "r", "flip": "flip", "blur": "blur",
          "sharpen": "sharpen", "brightness": "br", "contrast": "ct", "watermark": "wm",
          "watermark_position": "wmp", "watermark_opacity": "wmo", "watermark_size": "wms",
          "animated": "anim", "format": "f", "quality": "q"}


def from_params(params: dict[str, object], limits: TransformLimits | None = None) -> Options:
    """Options from the API's names (None or "" means not given). A watermark
    is `text:<words>` or `image:<image id>`."""
    values: dict[str, object] = {}
    for name, value in params.items():
        if value is None or value == "":
            continue
        if name not in PARAMS:
            raise InvalidOptions(f"{name} is not a transform parameter ({', '.join(PARAMS)})")
        short = PARAMS[name]
        if short == "wm":
            values[short] = _watermark(str(value))
        elif short == "anim" and isinstance(value, bool):
            values[short] = value
        else:
            values[short] = _READERS[short](name, str(value).strip(), canonical=False)
    options = Options(**values)  # type: ignore[arg-type]
    if options.q is not None and options.q == DEFAULT_QUALITY.get(options.f):
        options = replace(options, q=None)
    return options.check(limits or TransformLimits())


def to_params(options: Options) -> dict[str, object]:
    """The API's names of the options that are not defaults (what a preset shows)."""
    out: dict[str, object] = {}
    for name, short in PARAMS.items():
        value = getattr(options, short)
        if short == "f" or value != _default(options, short):
            if short == "wm":
                text = options.watermark_text
                value = f"text:{text}" if text is not None else f"image:{options.watermark_image}"
            out[name] = value
    return out


def ladder_rung(edge: int, fmt: str) -> Options:
    """A rung of the ladder rendered on demand: the image fit inside edge x edge,
    the format's default quality (the same recipe as the ladder's)."""
    return Options(w=edge, h=edge, f=fmt)


def key(placement: str, image_id: str, options: str) -> str:
    """Where a transform's result is stored (and the nginx cache key, after the bucket)."""
    return f"{placement}v/{image_id}/t/{options}"


_KEY = re.compile(r"(?P<placement>public/|private/|trash/)v/(?P<image>[A-Za-z0-9][A-Za-z0-9_-]{0,127})"
                  r"/t/(?P<options>[^/]+)")


def parse_key(stored: str) -> tuple[str, str, str] | None:
    """(placement, image id, options) of a transform's key; None for any other key."""
    found = _KEY.fullmatch(stored)
    return (found["placement"], found["image"], found["options"]) if found else None


# ------------------------------------------------------------------ reading


def _write(value: object) -> str:
    if isinstance(value, bool):
        return "1"
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def _integer(name: str, raw: str, canonical: bool = True) -> int:
    if not _INTEGER.fullmatch(raw if canonical else raw.lstrip("+").lstrip("0") or "0"):
        raise InvalidOptions(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _number(name: str, raw: str, canonical: bool = True) -> float:
    if canonical and not _NUMBER.fullmatch(raw):
        raise InvalidOptions(f"{name} must be a number with at most one decimal, not {raw!r}")
    try:
        value = round(float(raw), 1)
    except ValueError:
        raise InvalidOptions(f"{name} must be a number, not {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidOptions(f"{name} must be a number, not {raw!r}")
    return value


def _choice(choices: tuple) -> Callable[..., object]:
    def read(name: str, raw: str, canonical: bool = True) -> object:
        value = int(raw) if choices and isinstance(choices[0], int) and _INTEGER.fullmatch(raw) else raw
        if value not in choices:
            shown = ", ".join(str(c) or '""' for c in choices)
            raise InvalidOptions(f"{name} must be one of {shown}, not {raw!r}")
        return value
    return read


def _flag(name: str, raw: str, canonical: bool = True) -> bool:
    if raw == "1" or (not canonical and raw.lower() in ("true", "yes")):
        return True
    if not canonical and raw.lower() in ("0", "false", "no"):
        return False
    raise InvalidOptions(f"{name} is written {name}:1 (or left out)")


def _wm(name: str, raw: str, canonical: bool = True) -> str:
    text = _unb64(raw[2:]) if raw.startswith("t.") else None
    if text is not None and _watermark(f"text:{text}") == raw:
        return raw
    if raw.startswith("i.") and _ID.fullmatch(raw[2:]):
        return raw
    raise InvalidOptions("wm is t.<base64url of the text, no padding> or i.<image id>")


_READERS: dict[str, Callable[..., object]] = {
    "w": _integer, "h": _integer, "fit": _choice(FITS), "g": _choice(GRAVITIES), "r": _choice(ROTATIONS),
    "flip": _choice(FLIPS), "blur": _number, "sharpen": _number, "br": _integer, "ct": _integer, "wm": _wm,
    "wmp": _choice(COMPASS), "wmo": _integer, "wms": _integer, "anim": _flag, "f": _choice(FORMATS),
    "q": _integer}


def _watermark(value: str) -> str:
    kind, _, what = value.partition(":")
    if kind == "text" and what.strip():
        return "t." + base64.urlsafe_b64encode(what.strip().encode()).decode().rstrip("=")
    if kind == "image" and _ID.fullmatch(what):
        return f"i.{what}"
    raise InvalidOptions("watermark is text:<words> or image:<image id>")


def _unb64(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _check(o: Options, limits: TransformLimits) -> None:
    def refuse(reason: str) -> None:
        raise InvalidOptions(reason)

    for name in ("w", "h"):
        value = getattr(o, name)
        if value is not None and not 1 <= value <= limits.max_side:
            refuse(f"{name} must be 1 to {limits.max_side}")
    if o.w and o.h and o.w * o.h > limits.max_output_pixels:
        refuse(f"{o.w}x{o.h} is over the limit of {limits.max_output_pixels} pixels")
    if o.fit != "fit" and not (o.w and o.h):
        refuse(f"fit:{o.fit} needs both w and h")
    if o.g != "c" and o.fit == "fit":
        refuse("g (gravity) applies to fit:fill and fit:crop only")
    if o.blur and not 0.3 <= o.blur <= 50:
        refuse("blur must be 0.3 to 50")
    if o.sharpen and not 0.3 <= o.sharpen <= 10:
        refuse("sharpen must be 0.3 to 10")
    for name in ("br", "ct"):
        if not -100 <= getattr(o, name) <= 100:
            refuse(f"{name} must be -100 to 100")
    text = o.watermark_text
    if text is not None and not (0 < len(text) <= TEXT_MAX_CHARS and text.isprintable()):
        refuse(f"a watermark's text is 1 to {TEXT_MAX_CHARS} printable characters")
    if not o.wm and (o.wmp, o.wmo, o.wms) != (_DEFAULTS["wmp"], _DEFAULTS["wmo"], _DEFAULTS["wms"]):
        refuse("watermark position, opacity and size need a watermark")
    if not 1 <= o.wmo <= 100 or not 1 <= o.wms <= 100:
        refuse("watermark opacity and size are 1 to 100 (%)")
    if o.f not in limits.formats:
        refuse(f"f must be one of {', '.join(limits.formats)}")
    if o.anim and o.f not in ANIMATABLE:
        refuse(f"anim needs an animated format ({', '.join(sorted(ANIMATABLE))})")
    if o.q is not None and o.f not in LOSSY:
        refuse(f"{o.f} is lossless: it takes no q")
    if o.q is not None and not 1 <= o.q <= 100:
        refuse("q must be 1 to 100")
