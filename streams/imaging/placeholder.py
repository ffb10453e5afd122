"""Placeholders shown while a variant loads: a ThumbHash and a dominant colour.

ThumbHash (Evan Wallace, https://evanw.github.io/thumbhash/, public domain /
MIT reference at github.com/evanw/thumbhash) encodes a <=100x100 image as a
few DCT coefficients of luminance (L), yellow-blue (P), red-green (Q) and
alpha, quantised to 4 bits, behind a 5-6 byte header. Written here from the
published algorithm with numpy because the PyPI ports are unmaintained
since 2023 and pure-Python loops cost ~100 ms per image; this costs ~1 ms.
Byte layout matches the reference so any ThumbHash decoder renders it."""

import base64
import math

import numpy as np
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
    """ThumbHash bytes of an RGB/RGBA image of at most 100x100 pixels."""
    w, h = im.size
    if w > 100 or h > 100:
        raise ValueError(f"{w}x{h} does not fit in 100x100")
    px = np.asarray(im.convert("RGBA"), dtype=np.float64) / 255.0
    rgb, alpha = px[..., :3], px[..., 3]
    total_a = alpha.sum()
    avg = (rgb * alpha[..., None]).sum(axis=(0, 1)) / total_a if total_a else np.zeros(3)
    has_alpha = total_a < w * h
    limit = 5 if has_alpha else 7
    lx = max(1, _round(limit * w / max(w, h)))
    ly = max(1, _round(limit * h / max(w, h)))
    # composite over the average colour, then RGB -> LPQ
    c = avg * (1 - alpha[..., None]) + rgb * alpha[..., None]
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    l_dc, l_ac, l_scale = _channel((r + g + b) / 3, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _channel((r + g) / 2 - b, 3, 3)
    q_dc, q_ac, q_scale = _channel(r - g, 3, 3)
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
        a_dc, a_ac, a_scale = _channel(alpha, 5, 5)
        out.append(_round(15 * a_dc) | _round(15 * a_scale) << 4)
        acs += a_ac
    nibbles = [_round(15 * f) for f in acs] + [0] * (len(acs) % 2)
    out += [lo | hi << 4 for lo, hi in zip(nibbles[::2], nibbles[1::2], strict=True)]
    return bytes(out)


def _channel(ch: np.ndarray, nx: int, ny: int) -> tuple[float, list[float], float]:
    """DC term, AC terms normalised to 0..1, and their scale; AC terms in the
    reference's triangular order (cx*ny < nx*(ny-cy))."""
    h, w = ch.shape
    fx = np.cos(np.pi / w * np.outer(np.arange(nx), np.arange(w) + 0.5))
    fy = np.cos(np.pi / h * np.outer(np.arange(ny), np.arange(h) + 0.5))
    coef = fy @ ch @ fx.T / (w * h)  # coef[cy, cx]
    # Terms that are zero in exact arithmetic come out as +-1e-17 noise whose
    # sign depends on summation order (BLAS build, CPU); snap them to zero so
    # flat or symmetric images hash the same on every machine.
    coef[np.abs(coef) < 1e-9] = 0.0
    terms = [coef[cy, cx] for cy in range(ny) for cx in range(nx) if cx * ny < nx * (ny - cy)]
    dc, ac = float(terms[0]), [float(t) for t in terms[1:]]
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
    px = np.asarray(fit_100(im).convert("RGBA")).reshape(-1, 4)
    opaque = px[px[:, 3] >= 128]
    rgb = (opaque if len(opaque) else px)[:, :3].astype(np.int64)
    bins = (rgb[:, 0] >> 4) << 8 | (rgb[:, 1] >> 4) << 4 | rgb[:, 2] >> 4
    top = int(np.bincount(bins, minlength=4096).argmax())
    mean = rgb[bins == top].mean(axis=0)
    return "#" + "".join(f"{_round(v):02x}" for v in mean)
