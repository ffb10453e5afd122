"""Value types of the image core: what to render (LadderOptions for a ladder,
Transform for one output), what came out (Ladder, Rendition: one rung in one
format, encoded), and which sizes an image gets (plan_sizes).

All are frozen dataclasses of plain values, so they pickle cheaply across a
process pool and compare by value in tests."""

from dataclasses import dataclass, field

from schemas.media import ImageLimits
from schemas.transforms import DEFAULT_QUALITY

RUNGS = (150, 320, 640, 1280, 2048)  # longest edge, px

CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif", "png": "image/png",
                 "gif": "image/gif"}
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif", "png": "png", "gif": "gif"}
WITH_ALPHA = frozenset({"webp", "avif", "png", "gif"})  # JPEG gets alpha composited on a background
ANIMATABLE = frozenset({"webp", "gif"})  # formats that can carry every frame of an animation

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)


@dataclass(frozen=True)
class Crop:
    """A box cut from the resized image: where, by compass point (`c`, `n`,
    `ne`, ... `nw`) or `smart` (the most interesting part, libvips' attention)."""

    width: int
    height: int
    gravity: str = "c"


@dataclass(frozen=True)
class Watermark:
    """A mark already sized and faded for one output (streams.imaging.recipe
    makes it): 8-bit sRGB with alpha, laid over every frame at (left, top)."""

    rgba: bytes = field(repr=False)
    width: int
    height: int
    left: int
    top: int


@dataclass(frozen=True)
class Transform:
    """The whole recipe of one output image, so that the same original and
    the same Transform always give the same bytes (variant keys are content
    addresses). The steps read the geometry and look, the encoder the rest.
    The ladder makes one per rung and format, with none of the edits; an
    on-demand transform (streams.imaging.recipe.plan) may ask for them."""

    width: int  # the size the original is resized to, upright (after EXIF orientation)
    height: int
    format: str = "jpeg"  # a key of CONTENT_TYPES
    quality: int = 85  # the encoder's Q: JPEG and WebP 0-100, AVIF 0-100
    # The format's speed/size trade: WebP method 0-6, AVIF effort 0-9 (libaom
    # speed = 9 - effort), PNG compression level 0-9, GIF effort 1-10; JPEG none.
    effort: int = 0
    progressive: bool = False  # JPEG: progressive scans; PNG: Adam7
    background: RGB = WHITE  # under transparent pixels, for formats without alpha
    animated: bool = False  # keep every frame where the format can carry them
    # The edits, in the order they run (edits.EDITS), on the resized upright image:
    crop: Crop | None = None  # then the output is this box
    rotate: int = 0  # clockwise: 0, 90, 180, 270
    flip: str = ""  # "h", "v" or "hv" (mirror left-right, top-bottom)
    brightness: int = 0  # -100..100: % of full scale added
    contrast: int = 0  # -100..100: % more or less slope around mid-grey
    blur: float = 0.0  # gaussian sigma, px
    sharpen: float = 0.0  # sigma, px
    watermark: Watermark | None = None

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise ValueError(f"bad output size {self.width}x{self.height}")
        if self.format not in CONTENT_TYPES:
            raise ValueError(f"unknown output format {self.format!r}")

    @property
    def output(self) -> tuple[int, int]:
        """The size of the result (of one frame)."""
        width, height = (self.crop.width, self.crop.height) if self.crop else (self.width, self.height)
        return (height, width) if self.rotate in (90, 270) else (width, height)


def _limits() -> ImageLimits:
    return ImageLimits()


@dataclass(frozen=True)
class LadderOptions:
    """What to render. Changing any field changes variant bytes, hence keys."""

    rungs: tuple[int, ...] = RUNGS
    avif: bool = False  # an AVIF encode costs ~9x a WebP one (speed 8): opt-in
    jpeg_quality: int = DEFAULT_QUALITY["jpeg"]  # a transform's default too (schemas.transforms)
    # Progressive is ~6% smaller and shows a whole blurry picture early, but
    # encodes ~6x slower than baseline (bench/ladder.py); resize is the
    # pipeline's main cost, so baseline unless DARKROOM_RESIZE_JPEG_PROGRESSIVE.
    jpeg_progressive: bool = False
    webp_quality: int = DEFAULT_QUALITY["webp"]
    # method 1 encodes ~3x faster than libwebp's default 4 for ~5% more bytes
    # (see bench/ladder.py); 0 saves a little more time but loses more bytes.
    webp_method: int = 1
    avif_quality: int = DEFAULT_QUALITY["avif"]
    avif_speed: int = 8
    # Checked from the header, before decoding. Both default to the one setting
    # the API and every stage read (schemas.media.ImageLimits, DARKROOM_IMAGE_*).
    max_pixels: int = field(default_factory=lambda: _limits().max_pixels)
    max_frames: int = field(default_factory=lambda: _limits().max_frames)
    background: RGB = WHITE  # JPEG has no alpha
    # Animated originals: WebP variants keep every frame (JPEG and AVIF show the
    # first). Off: an animation costs its frame count in resizes and encodes.
    animated: bool = False

    @property
    def formats(self) -> tuple[str, ...]:
        return ("jpeg", "webp", "avif") if self.avif else ("jpeg", "webp")

    def transform(self, width: int, height: int, fmt: str) -> Transform:
        """The recipe of one rung in one format."""
        quality, effort = {
            "jpeg": (self.jpeg_quality, 0),
            "webp": (self.webp_quality, self.webp_method),
            "avif": (self.avif_quality, 9 - self.avif_speed),
        }[fmt]
        return Transform(width, height, fmt, quality, effort, fmt == "jpeg" and self.jpeg_progressive,
                         self.background, self.animated)


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int  # of one frame
    format: str  # a key of CONTENT_TYPES
    content_type: str
    data: bytes = field(repr=False)
    sha256: str  # hex digest of data

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


@dataclass(frozen=True)
class Ladder:
    source_format: str  # schemas.media Format.pillow: "JPEG", "PNG", "HEIF", ...
    width: int  # the original, upright (EXIF orientation applied)
    height: int
    animated: bool  # more than one frame (variants show the first unless LadderOptions.animated)
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
