"""The one failure the resize stage treats as poison: bytes that can never
become an image. Anything else (MemoryError, a bug) propagates so the event is
retried rather than dead-lettered."""

# Stable codes: they end up in dead-letter records and dashboards, so never
# rename one; add new codes instead.
EMPTY = "empty"  # zero bytes
NOT_AN_IMAGE = "not_an_image"  # no known image signature
UNSUPPORTED_FORMAT = "unsupported_format"  # an image, but not one we render
TOO_MANY_PIXELS = "too_many_pixels"  # header over max_pixels; never decoded
TOO_MANY_FRAMES = "too_many_frames"  # header counts over max_frames; never decoded (the API's code too)
TRUNCATED = "truncated"  # data ends before the pixels do
CORRUPT = "corrupt"  # header fine, pixel data undecodable

CODES = frozenset({EMPTY, NOT_AN_IMAGE, UNSUPPORTED_FORMAT, TOO_MANY_PIXELS, TOO_MANY_FRAMES, TRUNCATED,
                   CORRUPT})


class UndecodableImage(Exception):
    """The input cannot be rendered, now or on any retry."""

    def __init__(self, code: str, message: str):
        if code not in CODES:
            raise ValueError(f"unknown UndecodableImage code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type["UndecodableImage"], tuple[str, str]]:
        # Raised inside pool workers: pickle by (code, message), not by args.
        return (type(self), (self.code, self.message))
