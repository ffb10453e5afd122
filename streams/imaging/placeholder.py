"""Placeholders shown while a variant loads: a ThumbHash and a dominant colour.

ThumbHash (Evan Wallace, https://evanw.github.io/thumbhash/, public domain /
MIT reference at github.com/evanw/thumbhash) encodes a <=100x100 image as a
few DCT coefficients of luminance (L), yellow-blue (P), red-green (Q) and
alpha, quantised to 4 bits, behind a 5-6 byte header. Written here from the
published algorithm because the PyPI ports are unmaintained since 2023 and
slow (~100 ms an image); a separable DCT keeps this ~10 ms without numpy.
Byte layout matches the reference so any ThumbHash decoder renders it."""

import base64
import math
from operator import mul
from typing import cast

from PIL import Image


def _round(x: float) -> int:
    return math.floor(x + 0.5)  # JavaScript Math.round, as the reference


def fit_100(im: Image.Image) -> Image.Image:
    """ThumbHash input is at most 100x100; more pixels add nothing."""
    if max(im.size) <= 100:
        return im
    scale = 100 / max(im.size)
    size = (max(1, _round(im.width * scale)), max(1, _round(im.height * scale)))
    return im.resize(size, Image.Resampling.BOX)


def thumbhash(im: Image.Image) -> bytes:
    """ThumbHash bytes of an image of at most 100x100 pixels."""
    w, h = im.size
    if w > 100 or h > 100:
        raise ValueError(f"{w}x{h} does not fit in 100x100")
    rgba = im.convert("RGBA")
    r, g, b, alpha = ([v / 255 for v in cast("tuple[int, ...]", rgba.get_flattened_data(band))]
                      for band in range(4))
    total_a = sum(alpha)
    has_alpha = total_a < w * h
    limit = 5 if has_alpha else 7
    lx = max(1, _round(limit * w / max(w, h)))
    ly = max(1, _round(limit * h / max(w, h)))
    if has_alpha:  # composite over the average colour (exact no-op when opaque)
        avg = [sum(map(mul, ch, alpha)) / total_a if total_a else 0.0 for ch in (r, g, b)]
        r, g, b = (
            [m * (1 - a) + v * a for v, a in zip(ch, alpha, strict=True)]
            for ch, m in zip((r, g, b), avg, strict=True)
        )
    # RGB -> LPQ
    lum = [(x + y + z) / 3 for x, y, z in zip(r, g, b, strict=True)]
    p = [(x + y) / 2 - z for x, y, z in zip(r, g, b, strict=True)]
    q = [x - y for x, y in zip(r, g, strict=True)]
    l_dc, l_ac, l_scale = _channel(lum, w, h, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _channel(p, w, h, 3, 3)
    q_dc, q_ac, q_scale = _channel(q, w, h, 3, 3)
    header24 = (
        _round(63 * l_dc)
        | _round(31.5 + 31.5 * p_dc) << 6
        | _round(31.5 + 31.5 * q_dc) << 12
        | _round(31 * l_scale) << 18
        | int(has_alpha) << 23
    )
    landscape = w > h
    header16 = (
        (ly if landscape else lx)
        | _round(63 * p_scale) << 3
        | _round(63 * q_scale) << 9
        | int(landscape) << 15
    )
    out = [header24 & 255, header24 >> 8 & 255, header24 >> 16, header16 & 255, header16 >> 8]
    acs = l_ac + p_ac + q_ac
    if has_alpha:
        a_dc, a_ac, a_scale = _channel(alpha, w, h, 5, 5)
        out.append(_round(15 * a_dc) | _round(15 * a_scale) << 4)
        acs += a_ac
    nibbles = [_round(15 * f) for f in acs] + [0] * (len(acs) % 2)
    out += [lo | hi << 4 for lo, hi in zip(nibbles[::2], nibbles[1::2], strict=True)]
    return bytes(out)


def _cosines(n: int, size: int) -> list[list[float]]:
    return [[math.cos(math.pi / size * c * (i + 0.5)) for i in range(size)] for c in range(n)]


def _channel(ch: list[float], w: int, h: int, nx: int, ny: int) -> tuple[float, list[float], float]:
    """DC term, AC terms normalised to 0..1, and their scale; AC terms in the
    reference's triangular order (cx*ny < nx*(ny-cy)). The 2-D DCT is done
    separably (rows, then columns) to keep pure Python fast (~10 ms)."""
    fx, fy = _cosines(nx, w), _cosines(ny, h)
    rows = [ch[y * w : (y + 1) * w] for y in range(h)]
    by_cx = [[sum(map(mul, row, fx[cx])) for row in rows] for cx in range(nx)]
    terms = []
    for cy in range(ny):
        for cx in range(nx):
            if cx * ny < nx * (ny - cy):
                f = sum(map(mul, by_cx[cx], fy[cy])) / (w * h)
                # Terms that are zero in exact arithmetic come out as +-1e-17
                # noise whose sign depends on summation order: snap them so
                # flat or symmetric images hash the same everywhere.
                terms.append(0.0 if abs(f) < 1e-9 else f)
    dc, ac = terms[0], terms[1:]
    scale = max((abs(f) for f in ac), default=0.0)
    if scale:
        ac = [0.5 + 0.5 / scale * f for f in ac]
    return dc, ac, scale


def thumbhash_base64(im: Image.Image) -> str:
    return base64.b64encode(thumbhash(fit_100(im))).decode("ascii")


def dominant_color(im: Image.Image) -> str:
    """Most common colour: pixels binned at 4 bits a channel, the fullest bin
    wins (ties: lowest bin, so deterministic), reported as that bin's mean.
    Mostly transparent pixels are ignored, so a logo is not 'white'."""
    rgba = fit_100(im).convert("RGBA")
    pixels = list(cast("tuple[tuple[int, int, int, int], ...]", rgba.get_flattened_data()))
    pixels = [px for px in pixels if px[3] >= 128] or pixels
    counts: dict[int, list[int]] = {}
    for r, g, b, _ in pixels:
        acc = counts.setdefault((r >> 4) << 8 | (g >> 4) << 4 | b >> 4, [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += r
        acc[2] += g
        acc[3] += b
    n, *sums = max(counts.items(), key=lambda kv: (kv[1][0], -kv[0]))[1]
    return "#" + "".join(f"{_round(s / n):02x}" for s in sums)
