"""Encode one finished rung (8-bit sRGB, RGB or RGBA, a strip of pages when
animated) in the Transform's format.

Every setting is spelled out rather than left to libvips' defaults, so the
same pixels and Transform always give the same bytes (variant keys depend on
it) and a libvips upgrade that moves a default shows up as changed keys in
the tests, not silently. Encoders keep NOTHING: no metadata is written but
an animation's frame timing; strip_metadata already took the rest off."""

import pyvips

from .model import Transform

NOTHING = pyvips.enums.ForeignKeep.NONE


def encode(image: pyvips.Image, t: Transform) -> bytes:
    return _ENCODERS[t.format](image, t)


def _jpeg(image: pyvips.Image, t: Transform) -> bytes:
    return image.jpegsave_buffer(
        Q=t.quality,
        subsample_mode="on",  # 4:2:0 always: libvips' "auto" turns it off at Q >= 90
        interlace=t.progressive,
        optimize_coding=False,  # ~3x the encode time for ~2.5% on baseline JPEGs
        trellis_quant=False,
        overshoot_deringing=False,
        optimize_scans=False,
        quant_table=0,
        keep=NOTHING,
    )


def _webp(image: pyvips.Image, t: Transform) -> bytes:
    return image.webpsave_buffer(
        Q=t.quality,
        effort=t.effort,  # libwebp's method
        lossless=False,
        smart_subsample=False,
        preset="default",
        min_size=False,  # animations: plain frames, no costly size search
        keep=NOTHING,
    )


def _avif(image: pyvips.Image, t: Transform) -> bytes:
    return image.heifsave_buffer(
        Q=t.quality,
        effort=t.effort,
        compression="av1",
        subsample_mode="on",
        bitdepth=8,
        lossless=False,
        keep=NOTHING,
    )


def _png(image: pyvips.Image, t: Transform) -> bytes:
    return image.pngsave_buffer(
        compression=t.effort,
        interlace=t.progressive,
        palette=False,
        keep=NOTHING,
    )


def _gif(image: pyvips.Image, t: Transform) -> bytes:
    return image.gifsave_buffer(
        effort=min(10, max(1, t.effort)),  # libvips' range is 1-10
        dither=1.0,
        interlace=t.progressive,
        keep=NOTHING,
    )


_ENCODERS = {"jpeg": _jpeg, "webp": _webp, "avif": _avif, "png": _png, "gif": _gif}
