"""From transform options (schemas.transforms.Options: what a URL or a preset
asks) to a Transform (what the steps do) for one original, and the render of
it: `render_options` is what a render worker runs.

Geometry, on the upright original W x H and the box w x h asked:
  fit   the image inside the box, aspect kept; never enlarged (a box larger
        than the image gives the image's own size). A square box of a rung's
        edge is exactly that rung of the ladder (model.plan_sizes), so a rung
        rendered on demand is the recipe the ladder would have used.
  fill  scaled to cover the box, then the box is cut at the gravity (or the
        smart crop); never enlarged, so a small image gives a smaller box
  crop  the box cut at the original's own scale, at the gravity
Sizes are rounded half up in integers, as plan_sizes does, so they never
drift between machines. Every size is checked against the limits before a
pixel is decoded.
"""

from __future__ import annotations

from dataclasses import replace

from PIL import Image, ImageDraw, ImageFont

from schemas.media import ImageLimits
from schemas.transforms import InvalidOptions, Options, TransformLimits

from . import decode, edits, ladder
from .model import Crop, LadderOptions, Rendition, Transform, Watermark
from .pages import page_height

_LADDER = LadderOptions()  # the encoders' defaults a transform shares with the ladder
_EFFORT = {"png": 6, "gif": 7}  # zlib's usual level; libvips' GIF palette effort
MARGIN = 0.02  # of the output's shorter side, between a watermark and the edge
TEXT_PX = 64  # size a text watermark is drawn at before it is fitted


def _half_up(numerator: int, denominator: int) -> int:
    return max(1, (2 * numerator + denominator) // (2 * denominator))


def geometry(o: Options, width: int, height: int) -> tuple[tuple[int, int], Crop | None]:
    """The size the original is resized to and the box cut from it."""
    bw, bh = o.w, o.h
    if o.fit == "crop":
        assert bw and bh
        return (width, height), Crop(min(bw, width), min(bh, height), o.g)
    if o.fit == "fill":
        assert bw and bh
        if bw >= width and bh >= height:
            size = (width, height)
        elif width * bh >= height * bw:  # wider than the box: its height decides
            size = (_half_up(width * bh, height), bh) if bh < height else (width, height)
        else:
            size = (bw, _half_up(height * bw, width)) if bw < width else (width, height)
        crop = Crop(min(bw, size[0]), min(bh, size[1]), o.g)
        return size, None if (crop.width, crop.height) == size else crop
    if bw is None and bh is None:
        return (width, height), None
    if bh is None or (bw is not None and width * bh >= height * bw):  # the width decides
        assert bw is not None
        return ((bw, _half_up(height * bw, width)) if bw < width else (width, height)), None
    return ((_half_up(width * bh, height), bh) if bh < height else (width, height)), None


def shortfall(o: Options, width: int, height: int) -> str | None:
    """Why the output cannot be the box asked for (it would need enlarging), or None."""
    if o.fit in ("fill", "crop") and o.w and o.h and (o.w > width or o.h > height):
        return f"{o.w}x{o.h} ({o.fit}) needs a larger image than {width}x{height}"
    return None


def plan(o: Options, width: int, height: int, mark: bytes | None = None,
         limits: TransformLimits | None = None, image_limits: ImageLimits | None = None) -> Transform:
    """The Transform of `o` for an upright original of width x height; `mark`
    is the watermark image's bytes when `o` names one. InvalidOptions when
    the result would be over the limits."""
    limits = limits or TransformLimits()
    size, crop = geometry(o, width, height)
    if o.f in ("jpeg", "webp", "avif"):
        base = _LADDER.transform(size[0], size[1], o.f)
        quality, effort = (o.q or base.quality), base.effort
    else:
        quality, effort = _LADDER.jpeg_quality, _EFFORT[o.f]  # lossless: no quality
    t = Transform(size[0], size[1], o.f, quality, effort, animated=o.anim, crop=crop, rotate=o.r,
                  flip=o.flip, brightness=o.br, contrast=o.ct, blur=o.blur, sharpen=o.sharpen)
    out_w, out_h = t.output
    if out_w * out_h > limits.max_output_pixels:
        raise InvalidOptions(f"the result, {out_w}x{out_h}, is over the limit of "
                             f"{limits.max_output_pixels} pixels")
    if not o.wm:
        return t
    if o.watermark_image is not None and mark is None:
        raise InvalidOptions(f"the watermark image {o.watermark_image} is not available")
    return _with_mark(t, o, mark, image_limits or ImageLimits())


def render_options(data: bytes, o: Options, mark: bytes | None = None, limits: TransformLimits | None = None,
                   image_limits: ImageLimits | None = None) -> Rendition:
    """One output of `o` from an original's bytes (run in a pool worker)."""
    image_limits = image_limits or ImageLimits()
    src = decode.probe(data, image_limits.max_pixels, image_limits.max_frames)
    return ladder.render(data, plan(o, *src.upright, mark, limits, image_limits), image_limits)


# ---------------------------------------------------------------- watermark


def _with_mark(t: Transform, o: Options, mark: bytes | None, image_limits: ImageLimits) -> Transform:
    out_w, out_h = t.output
    target = max(1, out_w * o.wms // 100)
    text = o.watermark_text
    rgba, (w, h) = _text_mark(text, target) if text is not None else _image_mark(mark or b"", target,
                                                                                   image_limits)
    if h > out_h or w > out_w:  # a tall mark on a wide, thin output: fit it in
        rgba, (w, h) = _fitted(rgba, (w, h), (out_w, out_h))
    rgba = _faded(rgba, o.wmo)
    margin = int(min(out_w, out_h) * MARGIN)
    left, top = edits.box(out_w, out_h, (w, h), o.wmp, margin)
    return replace(t, watermark=Watermark(rgba, w, h, left, top))


def _text_mark(text: str, target_width: int) -> tuple[bytes, tuple[int, int]]:
    """White text with a dark outline (legible on any picture), in Pillow's
    built-in font (no system fonts: the same pixels on every machine)."""
    probe = ImageFont.load_default(size=TEXT_PX)
    left, top, right, bottom = (int(v) for v in probe.getbbox(text, stroke_width=TEXT_PX // 16))
    size = max(8, TEXT_PX * target_width // max(1, right - left))
    font = ImageFont.load_default(size=size)
    stroke = max(1, size // 16)
    left, top, right, bottom = (int(v) for v in font.getbbox(text, stroke_width=stroke))
    canvas = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((-left, -top), text, font=font, fill=(255, 255, 255, 255),
                                stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    return canvas.tobytes(), canvas.size


def _image_mark(data: bytes, target_width: int, image_limits: ImageLimits) -> tuple[bytes, tuple[int, int]]:
    """An uploaded image (a logo), upright sRGB with alpha, `target_width` wide."""
    src = decode.probe(data, image_limits.max_pixels, image_limits.max_frames)
    width, height = src.upright
    size = (target_width, _half_up(height * target_width, width))
    image = ladder.top(data, src, Transform(size[0], size[1], "png"), image_limits.max_pixels)
    image = image.crop(0, 0, image.width, page_height(image))  # a still: the first frame
    if not image.hasalpha():
        image = image.bandjoin(255)
    return image.write_to_memory(), (image.width, image.height)


def _fitted(rgba: bytes, size: tuple[int, int], room: tuple[int, int]) -> tuple[bytes, tuple[int, int]]:
    scale = min(room[0] / size[0], room[1] / size[1])
    image = Image.frombytes("RGBA", size, rgba)
    fitted = (max(1, int(size[0] * scale)), max(1, int(size[1] * scale)))
    image = image.resize(fitted, Image.Resampling.LANCZOS)
    return image.tobytes(), image.size


def _faded(rgba: bytes, opacity: int) -> bytes:
    if opacity >= 100:
        return rgba
    image = Image.frombytes("RGBA", (len(rgba) // 4, 1), rgba)
    red, green, blue, alpha = image.split()
    alpha = alpha.point(lambda a: a * opacity // 100)
    return Image.merge("RGBA", (red, green, blue, alpha)).tobytes()
