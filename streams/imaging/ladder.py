"""render_ladder: one image's bytes in, every variant out; render: one output.
Pure functions of (data, options), meant to run whole inside one pool worker
(see pool.py).

Order of work, each done once:
  1. probe the header; refuse pixel and frame bombs before any decode
  2. plan the rungs (upright sizes, never upscaling)
  3. load the first frame lazily, JPEG and WebP shrunk on load to >= the top
     rung (a 12 MP JPEG decodes at 1/4 scale for half the CPU of a whole one)
  4. steps.ON_LOAD to the top rung, pulled into memory: decode, resize and
     colour in one pass over strips of the original; then steps.IN_MEMORY
     (orientation, metadata, and a transform's edits)
  5. cascade: each smaller rung is resized from the previous one
  6. per rung and format, steps.FINISH and encode; placeholders from the
     smallest rung
"""

import hashlib

import pyvips
from PIL import Image

from schemas.media import ImageLimits

from . import decode, encode, placeholder, steps
from .model import CONTENT_TYPES, Ladder, LadderOptions, Rendition, Transform, plan_sizes

DEFAULTS = LadderOptions()


def render_ladder(data: bytes, options: LadderOptions = DEFAULTS) -> Ladder:
    src = decode.probe(data, options.max_pixels, options.max_frames)
    sizes = plan_sizes(*src.upright, options.rungs)
    geometry = [options.transform(w, h, options.formats[0]) for w, h in sizes]

    rungs = [top(data, src, geometry[0], options.max_pixels)]
    for t in geometry[1:]:
        rungs.append(steps.run(steps.CASCADE, rungs[-1], t).copy_memory())
    rungs.reverse()  # smallest first

    renditions = tuple(_rendition(rung, options.transform(rung.width, steps.page_height(rung), fmt))
                       for rung in rungs for fmt in options.formats)
    small = _pillow(rungs[0])
    return Ladder(
        source_format=src.format.pillow,
        width=src.upright[0],
        height=src.upright[1],
        animated=src.animated,
        renditions=renditions,
        placeholder=placeholder.thumbhash_base64(small),
        dominant_color=placeholder.dominant_color(small),
    )


def render(data: bytes, transform: Transform, limits: ImageLimits | None = None) -> Rendition:
    """One output, by the same steps as a ladder's top rung (what a render
    service answering transform URLs runs). The output is held to the same
    pixel limit as the original, so no request can make a bomb of its own."""
    limits = limits or ImageLimits()
    if transform.width * transform.height > limits.max_pixels:
        raise ValueError(f"{transform.width}x{transform.height} is over {limits.max_pixels} pixels")
    src = decode.probe(data, limits.max_pixels, limits.max_frames)
    return _rendition(top(data, src, transform, limits.max_pixels), transform)


def top(data: bytes, src: decode.Source, t: Transform, max_pixels: int) -> pyvips.Image:
    """The original as `t` resizes and edits it, in memory (the ladder's top
    rung, a transform's output before its format's FINISH)."""
    # Every frame of an animation is held at once: its total, in and out,
    # stays under the pixel limit, else the output shows the first frame.
    animated = (t.animated and src.animated
                and src.frames * max(src.width * src.height, t.width * t.height) <= max_pixels)
    at_least = (t.height, t.width) if src.swaps_axes else (t.width, t.height)
    image = decode.load(data, src, at_least, animated)
    top = decode.pixels(steps.run(steps.ON_LOAD, image, t), src)
    return steps.run(steps.IN_MEMORY, top, t).copy_memory()


def _rendition(image: pyvips.Image, t: Transform) -> Rendition:
    finished = steps.run(steps.FINISH, image, t)
    data = encode.encode(finished, t)
    return Rendition(
        width=finished.width,
        height=steps.page_height(finished),
        format=t.format,
        content_type=CONTENT_TYPES[t.format],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _pillow(image: pyvips.Image) -> Image.Image:
    """The first frame as a Pillow image, for the placeholders: the smallest
    rung is at most 150 px, so the copy costs nothing."""
    frame = image.crop(0, 0, image.width, steps.page_height(image))
    mode = {3: "RGB", 4: "RGBA"}[frame.bands]
    return Image.frombytes(mode, (frame.width, frame.height), frame.write_to_memory())
