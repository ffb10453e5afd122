"""Value types of the resize stage: what to render (LadderOptions), what came
out (Ladder, Rendition: one rung in one format, encoded), and which sizes an image gets (plan_sizes).

All are frozen dataclasses of plain values, so they pickle cheaply across a
process pool and compare by value in tests."""

from dataclasses import dataclass, field

RUNGS = (150, 320, 640, 1280, 2048)  # longest edge, px

CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif"}


@dataclass(frozen=True)
class LadderOptions:
    """What to render. Changing any field changes variant bytes, hence keys."""

    rungs: tuple[int, ...] = RUNGS
    avif: bool = False  # an AVIF encode costs ~9x a WebP one (speed 8): opt-in
    jpeg_quality: int = 85
    # Progressive is ~6% smaller and shows a whole blurry picture early, but
    # encodes ~6x slower than baseline (bench/ladder.py); resize is the
    # pipeline's main cost, so baseline unless DARKROOM_RESIZE_JPEG_PROGRESSIVE.
    jpeg_progressive: bool = False
    webp_quality: int = 80
    # method 1 encodes ~3x faster than libwebp's default 4 for ~5% more bytes
    # (see bench/ladder.py); 0 saves a little more time but loses more bytes.
    webp_method: int = 1
    avif_quality: int = 60
    avif_speed: int = 8
    max_pixels: int = 100_000_000  # checked from the header, before decoding
    background: tuple[int, int, int] = (255, 255, 255)  # JPEG has no alpha

    @property
    def formats(self) -> tuple[str, ...]:
        return ("jpeg", "webp", "avif") if self.avif else ("jpeg", "webp")


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    format: str  # "jpeg" | "webp" | "avif"
    content_type: str
    data: bytes = field(repr=False)
    sha256: str  # hex digest of data

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


@dataclass(frozen=True)
class Ladder:
    source_format: str  # Pillow's name: "JPEG", "PNG", "HEIF", ...
    width: int  # the original, upright (EXIF orientation applied)
    height: int
    animated: bool  # variants then show the first frame only
    renditions: tuple[Rendition, ...]  # rung ascending, then LadderOptions.formats order
    placeholder: str  # ThumbHash, standard base64
    dominant_color: str  # "#rrggbb"


def plan_sizes(width: int, height: int, rungs=RUNGS) -> list[tuple[int, int]]:
    """Variant sizes, largest first. Never upscales: a rung is used only when
    the longest edge reaches it, and an image below the top rung also gets a
    variant at its own size, so the ladder always reaches full resolution
    (and every image, however small, has a variant)."""
    if width < 1 or height < 1:
        raise ValueError(f"bad size {width}x{height}")
    longest = max(width, height)
    fits = {r for r in rungs if r <= longest}
    if longest < max(rungs):
        fits.add(longest)
    return [_scaled(width, height, r) for r in sorted(fits, reverse=True)]


def _scaled(width: int, height: int, edge: int) -> tuple[int, int]:
    longest = max(width, height)
    # integer round-half-up: no float drift between machines
    w = max(1, (width * edge * 2 + longest) // (2 * longest))
    h = max(1, (height * edge * 2 + longest) // (2 * longest))
    return w, h
