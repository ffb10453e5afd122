"""Tests of streams.imaging: the resize stage's pure image core (libvips).
Every input image is generated here at run time with Pillow, an oracle
independent of the code under test (libvips writes the one Pillow cannot)."""

import asyncio
import base64
import hashlib
import io
import struct
import zlib

import pytest
import pyvips
from PIL import Image, ImageCms, ImageOps

from schemas.media import ImageLimits
from streams.imaging import (
    CODES,
    LadderOptions,
    Transform,
    UndecodableImage,
    decode,
    icc,
    new_pool,
    plan_sizes,
    render,
    render_in,
    render_ladder,
    variant_key,
)
from streams.imaging.placeholder import thumbhash

# ------------------------------------------------------------------ helpers

RED, GREEN, BLUE, WHITE = (230, 20, 20), (20, 200, 20), (20, 20, 230), (250, 250, 250)


def encode(im, fmt="JPEG", **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def quadrants(w, h):
    """Asymmetric test card: red | green over blue | white."""
    im = Image.new("RGB", (w, h), WHITE)
    im.paste(RED, (0, 0, w // 2, h // 2))
    im.paste(GREEN, (w // 2, 0, w, h // 2))
    im.paste(BLUE, (0, h // 2, w // 2, h))
    return im


def quadrant_colours(im):
    im = im.convert("RGB")
    w, h = im.size
    return [im.getpixel((int(w * fx), int(h * fy))) for fy in (0.25, 0.75) for fx in (0.25, 0.75)]


def upright_card(im):
    return all(close(c, e) for c, e in zip(quadrant_colours(im), [RED, GREEN, BLUE, WHITE], strict=True))


def close(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def opened(rendition):
    return Image.open(io.BytesIO(rendition.data))


def sizes(ladder):
    return sorted({(v.width, v.height) for v in ladder.renditions})


# ------------------------------------------------------------- size planning


@pytest.mark.parametrize(
    "size, expected",
    [
        ((4000, 3000), [(2048, 1536), (1280, 960), (640, 480), (320, 240), (150, 113)]),
        ((3000, 4000), [(1536, 2048), (960, 1280), (480, 640), (240, 320), (113, 150)]),
        ((2048, 1000), [(2048, 1000), (1280, 625), (640, 313), (320, 156), (150, 73)]),
        ((1000, 700), [(1000, 700), (640, 448), (320, 224), (150, 105)]),
        ((150, 150), [(150, 150)]),
        ((100, 80), [(100, 80)]),
        ((1, 1), [(1, 1)]),
        ((20000, 10), [(2048, 1), (1280, 1), (640, 1), (320, 1), (150, 1)]),
    ],
    ids=[
        "landscape",
        "portrait",
        "exact-top-rung",
        "between-rungs",
        "exact-bottom-rung",
        "smaller-than-rungs",
        "one-pixel",
        "thin-panorama",
    ],
)
def test_plan_sizes_never_upscales(size, expected):
    assert plan_sizes(*size) == expected


@pytest.mark.parametrize(
    "size, expected",
    [
        ((800, 600), [(150, 113), (320, 240), (640, 480), (800, 600)]),
        ((600, 800), [(113, 150), (240, 320), (480, 640), (600, 800)]),
        ((90, 60), [(90, 60)]),
    ],
    ids=["landscape", "portrait", "small"],
)
def test_ladder_sizes_and_formats(size, expected):
    ladder = render_ladder(encode(quadrants(*size)))
    assert sizes(ladder) == expected
    assert (ladder.width, ladder.height) == size
    for v in ladder.renditions:
        with opened(v) as im:
            assert im.size == (v.width, v.height)
            assert im.format == {"jpeg": "JPEG", "webp": "WEBP"}[v.format]
    assert [v.format for v in ladder.renditions] == ["jpeg", "webp"] * len(expected)


def test_avif_output_when_configured():
    ladder = render_ladder(encode(quadrants(400, 300)), LadderOptions(avif=True))
    avifs = [v for v in ladder.renditions if v.format == "avif"]
    assert [(v.width, v.height) for v in avifs] == [(150, 113), (320, 240), (400, 300)]
    assert avifs[0].content_type == "image/avif" and variant_key("a", avifs[0]).endswith(".avif")
    with opened(avifs[1]) as im:
        assert im.format == "AVIF"
        assert upright_card(im)


# ---------------------------------------------------------------- orientation

# stored pixels = inverse of what the EXIF tag asks a viewer to do
_TO_STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9), ids=lambda o: f"orientation-{o}")
def test_exif_orientation_makes_variants_upright(orientation):
    upright = quadrants(400, 300)
    op = _TO_STORED[orientation]
    stored = upright if op is None else upright.transpose(op)  # FLIP_LEFT_RIGHT == 0
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(stored, exif=exif.tobytes(), quality=95)
    # independent oracle: Pillow's own exif_transpose agrees with the fixture
    assert quadrant_colours(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))[0] == pytest.approx(
        RED, abs=30
    )

    ladder = render_ladder(data)
    assert (ladder.width, ladder.height) == (400, 300)
    assert sizes(ladder) == [(150, 113), (320, 240), (400, 300)]
    for v in ladder.renditions:
        with opened(v) as im:
            assert all(
                close(c, e) for c, e in zip(quadrant_colours(im), [RED, GREEN, BLUE, WHITE], strict=True)
            ), v


@pytest.mark.parametrize("orientation", [3, 6], ids=["turned-180", "turned-90"])
def test_orientation_of_a_photo_streamed_from_the_decoder(orientation):
    # Turning needs random access, which an image decoded in strips cannot
    # give beyond a few hundred lines: 1600x1200 is the top rung as it is.
    stored = quadrants(1600, 1200).transpose(_TO_STORED[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    ladder = render_ladder(encode(stored, exif=exif.tobytes(), quality=90))
    assert (ladder.width, ladder.height) == (1600, 1200)
    for v in ladder.renditions:
        with opened(v) as im:
            assert upright_card(im), v


# ------------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    "fmt, size",
    [("JPEG", (400, 300)), ("JPEG", (120, 90)), ("PNG", (400, 300)), ("WEBP", (120, 90))],
    ids=["jpeg-resized", "jpeg-own-size", "png-resized", "webp-own-size"],
)
def test_variants_carry_no_metadata(fmt, size):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif.get_ifd(0x8825)[2] = (52.0, 22.0, 0.0)  # GPS latitude
    meta = {
        "exif": exif.tobytes(),
        "icc_profile": swapped_rg_profile(),
        "xmp": b"<x:xmpmeta>secret</x:xmpmeta>",
    }
    if fmt == "JPEG":
        meta["comment"] = b"secret"
    for v in render_ladder(encode(quadrants(*size), fmt, **meta), LadderOptions(avif=True)).renditions:
        with opened(v) as im:
            im.load()
            leaked = set(im.info) & {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"}
            assert not leaked and dict(im.getexif()) == {}, (v, im.info)
        assert b"CameraMaker" not in v.data and b"secret" not in v.data, v


# --------------------------------------------------------------------- colour


def _xyz(x, y, z):
    return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(c * 65536)) for c in (x, y, z))


def swapped_rg_profile():
    """An ICC v2 matrix/TRC RGB profile whose red and green primaries are
    sRGB's green and red: a red pixel tagged with it *is* green. Built by hand
    because Pillow can only create sRGB, LAB and XYZ profiles."""
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    text = b"Swapped RG test"
    desc = (
        b"desc\0\0\0\0" + struct.pack(">I", len(text) + 1) + text + b"\0" + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    )
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # gamma 2.2
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*green)),
        (b"gXYZ", _xyz(*red)),
        (b"bXYZ", _xyz(*blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0none\0\0\0\0"),
    ]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0" * 4
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + _xyz(0.9642, 1.0, 0.8249)[8:]
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + body


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"], ids=["jpeg", "png", "webp", "heic"])
def test_embedded_profile_is_converted_to_srgb(fmt):
    data = encode(Image.new("RGB", (200, 100), (255, 0, 0)), fmt, icc_profile=swapped_rg_profile())
    for v in render_ladder(data).renditions:
        with opened(v) as im:
            r, g, b = im.convert("RGB").getpixel((50, 50))
            assert g > 200 and r < 60 and b < 60, (v, (r, g, b))


def test_srgb_profiles_are_known_by_their_description():
    # sRGB's own profile is skipped (an identity transform); others are not.
    builtin_v4 = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # "mluc" text
    assert icc.description(builtin_v4) == "sRGB built-in" and icc.is_srgb(builtin_v4)
    assert icc.description(swapped_rg_profile()) == "Swapped RG test"  # v2 "desc" text
    assert not icc.is_srgb(swapped_rg_profile())
    assert icc.description(b"not a profile") == ""


def test_srgb_tagged_photo_keeps_its_colours():
    data = encode(quadrants(400, 300), quality=95,
                  icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    for v in render_ladder(data).renditions:
        with opened(v) as im:
            assert upright_card(im), v


UNUSABLE_PROFILES = {
    "garbage": ("RGB", lambda: b"x" * 200),
    "truncated": ("RGB", lambda: swapped_rg_profile()[:150]),
    "rgb-profile-on-grey": ("L", swapped_rg_profile),
}


@pytest.mark.parametrize("case", UNUSABLE_PROFILES)
def test_unusable_profile_is_ignored_not_fatal(case):
    mode, profile = UNUSABLE_PROFILES[case]
    colour = (200, 10, 10) if mode == "RGB" else 100
    expected = colour if mode == "RGB" else (colour,) * 3
    for v in render_ladder(encode(Image.new(mode, (300, 200), colour), icc_profile=profile())).renditions:
        with opened(v) as im:
            assert close(im.convert("RGB").getpixel((5, 5)), expected, 8), v


def test_profile_conversion_keeps_alpha():
    im = Image.new("RGBA", (200, 100), (255, 0, 0, 255))
    im.paste((255, 0, 0, 0), (100, 0, 200, 100))
    ladder = render_ladder(encode(im, "PNG", icc_profile=swapped_rg_profile()))
    webp = next(v for v in ladder.renditions if v.format == "webp" and v.width == 150)
    with opened(webp) as out:
        out = out.convert("RGBA")
        r, g, b, a = out.getpixel((10, out.height // 2))
        assert g > 200 and r < 60 and a == 255
        assert out.getpixel((out.width - 10, out.height // 2))[3] == 0


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (300, 200), (0, 255, 255, 0))  # red ink
    for v in render_ladder(encode(cmyk)).renditions:
        with opened(v) as im:
            assert im.mode == "RGB"
            assert close(im.getpixel((10, 10)), (255, 0, 0), 50)


def test_16_bit_grey_png_is_scaled_not_clipped():
    grey = Image.new("I;16", (200, 100), 32768)  # mid grey in 16 bits
    (v, *_) = render_ladder(encode(grey, "PNG")).renditions
    with opened(v) as im:
        assert close(im.convert("RGB").getpixel((5, 5)), (128, 128, 128), 6)


def test_16_bit_rgba_png_keeps_colour_and_alpha():
    red = (pyvips.Image.black(300, 200, bands=3) + [65535, 0, 0]).cast("ushort")
    alpha = (pyvips.Image.black(300, 200) + 65535).cast("ushort")
    alpha = alpha.insert(pyvips.Image.black(150, 200).cast("ushort"), 150, 0)  # right half transparent
    data = red.bandjoin(alpha).copy(interpretation="rgb16").pngsave_buffer(bitdepth=16)
    for v in render_ladder(data).renditions:
        with opened(v) as out:
            out = out.convert("RGBA")
            left, right = out.getpixel((5, out.height // 2)), out.getpixel((out.width - 5, out.height // 2))
            assert close(left, (255, 0, 0, 255), 3), v
            assert right == ((255, 255, 255, 255) if v.format == "jpeg" else right[:3] + (0,)), v


# --------------------------------------------------------------------- alpha


def rgba_card():
    im = Image.new("RGBA", (300, 200), (0, 0, 0, 0))  # transparent black
    im.paste((0, 0, 255, 255), (0, 0, 150, 200))  # opaque blue left half
    return im


@pytest.mark.parametrize("mode", ["RGBA", "P"], ids=["png-rgba", "png-palette-transparent"])
def test_alpha_kept_for_webp_and_flattened_on_white_for_jpeg(mode):
    im = rgba_card() if mode == "RGBA" else rgba_card().convert("P")
    if mode == "P":
        im.info["transparency"] = im.getpixel((299, 199))
    data = encode(im, "PNG", **({"transparency": im.info["transparency"]} if mode == "P" else {}))
    for v in render_ladder(data).renditions:
        with opened(v) as out:
            out = out.convert("RGBA")
            left, right = out.getpixel((5, out.height // 2)), out.getpixel((out.width - 5, out.height // 2))
            assert close(left[:3], (0, 0, 255), 30) and left[3] == 255
            assert right == ((255, 255, 255, 255) if v.format == "jpeg" else right[:3] + (0,)), v


def test_opaque_alpha_is_dropped():
    data = encode(quadrants(300, 200).convert("RGBA"), "PNG")
    for v in render_ladder(data).renditions:
        with opened(v) as im:
            assert im.mode == "RGB"


# ----------------------------------------------------------------- animation


def animation(fmt, size=(320, 240)):
    frames = [Image.new("RGB", size, c) for c in (RED, BLUE, GREEN)]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0)


def frames_of(rendition):
    """(colour near the middle, duration in ms) of every frame."""
    with opened(rendition) as im:
        out = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append((im.convert("RGB").getpixel((im.width // 3, im.height // 3)), im.info.get("duration")))
        return out


def shows(frames, colours):
    pairs = zip(frames, colours, strict=False)
    return len(frames) == len(colours) and all(close(f, c, 30) for (f, _), c in pairs)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"], ids=["gif", "webp"])
def test_animated_image_renders_first_frame(fmt):
    ladder = render_ladder(animation(fmt))
    assert ladder.animated and ladder.source_format == fmt
    assert sizes(ladder) == [(150, 113), (320, 240)]  # 320 is the top: no extra full-size rung
    for v in ladder.renditions:
        assert shows(frames_of(v), [RED]), v


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"], ids=["gif", "webp"])
def test_animated_option_keeps_every_frame_in_webp(fmt):
    ladder = render_ladder(animation(fmt), LadderOptions(animated=True))
    assert sizes(ladder) == [(150, 113), (320, 240)]
    for v in ladder.renditions:
        frames = frames_of(v)
        if v.format == "webp":
            assert shows(frames, [RED, BLUE, GREEN]) and [d for _, d in frames] == [100, 200, 300], v
        else:  # JPEG cannot animate
            assert shows(frames, [RED]), v


def test_animated_gif_output_from_one_render():
    out = render(animation("WEBP"), Transform(160, 120, "gif", effort=7, animated=True))
    assert (out.width, out.height, out.content_type) == (160, 120, "image/gif")
    frames = frames_of(out)
    assert shows(frames, [RED, BLUE, GREEN]) and [d for _, d in frames] == [100, 200, 300]


def test_animation_over_the_pixel_limit_shows_its_first_frame():
    # Each 320x240 frame fits under the limit, the three of them held at once do not.
    ladder = render_ladder(animation("GIF"), LadderOptions(animated=True, max_pixels=200_000))
    assert ladder.animated
    for v in ladder.renditions:
        assert shows(frames_of(v), [RED]), v


# ------------------------------------------------------------ HEIC and AVIF in


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"], ids=["heic", "avif"])
def test_heic_and_avif_input(fmt):
    ladder = render_ladder(encode(quadrants(800, 600), fmt, quality=90))
    assert ladder.source_format == fmt and sizes(ladder) == [(150, 113), (320, 240), (640, 480), (800, 600)]
    with opened(ladder.renditions[-1]) as im:
        assert upright_card(im)


# --------------------------------------------------------------- determinism


def photo_like(w, h):
    noise = Image.effect_noise((w, h), 40)
    return Image.merge("RGB", (noise, Image.linear_gradient("L").resize((w, h)), noise.rotate(180)))


def test_same_input_same_bytes_and_keys_in_process_and_in_pool():
    data = encode(photo_like(700, 500), quality=92, icc_profile=swapped_rg_profile())
    options = LadderOptions(avif=True)  # AVIF too: libaom's bytes depend on its thread count
    first, second = render_ladder(data, options), render_ladder(data, options)
    assert first == second
    keys = [variant_key("img-1", v) for v in first.renditions]
    assert keys == [variant_key("img-1", v) for v in second.renditions]
    with new_pool(1) as pool:  # a fresh process: no state shared with this one
        assert asyncio.run(asyncio.wait_for(render_in(pool, data, options), 120)) == first


def test_one_render_runs_the_ladders_steps():
    # The on-demand path (render) and the ladder's top rung are the same steps
    # under the same Transform, so they give the same bytes.
    data = encode(rgba_card(), "PNG", icc_profile=swapped_rg_profile())
    options = LadderOptions(avif=True)
    ladder = render_ladder(data, options)
    for fmt in options.formats:
        top = [v for v in ladder.renditions if v.format == fmt][-1]
        assert render(data, options.transform(top.width, top.height, fmt)) == top, fmt


def golden_card():
    """Made without a noise generator (Pillow's is unseeded): gradients over
    the test card, so the input bytes are the same on every machine."""
    w, h = 600, 400
    gradient, radial = Image.linear_gradient("L"), Image.radial_gradient("L")
    across = gradient.transpose(Image.Transpose.ROTATE_90)
    shades = Image.merge("RGB", [band.resize((w, h)) for band in (gradient, radial, across)])
    return Image.blend(quadrants(w, h), shades, 0.5)


# sha256[:16] of golden_card() as Pillow 13.0.0 writes it, and of each of its
# variants with the pinned pyvips-binary (libvips 8.18.7 and its codecs).
GOLDEN_INPUT = "172f886893e19c46"
GOLDEN = {
    "150x100.jpg": "ac3a9256740fb3b4",
    "150x100.webp": "96696a4f6a330aef",
    "150x100.avif": "49f63b0ac244d821",
    "320x213.jpg": "7b2ce22836877b09",
    "320x213.webp": "69e65ace82df742c",
    "320x213.avif": "ea41117d67ba4def",
    "600x400.jpg": "8b680d66d6d79f5e",
    "600x400.webp": "93877f7e85622ff7",
    "600x400.avif": "c870a9d19198ec17",
}


def test_variant_bytes_are_pinned():
    data = encode(golden_card(), quality=90)
    assert hashlib.sha256(data).hexdigest()[:16] == GOLDEN_INPUT, "the input changed: Pillow's encoder?"
    ladder = render_ladder(data, LadderOptions(avif=True))
    got = {f"{v.width}x{v.height}.{v.extension}": v.sha256[:16] for v in ladder.renditions}
    assert got == GOLDEN, (
        "variant bytes changed, so every variant key changes with them (caches and stored "
        "variants are keyed by content). Expected after an encoder setting or a libvips upgrade: "
        "if that was the intent, update GOLDEN; if not, a default moved or output became "
        "machine-dependent."
    )


@pytest.mark.parametrize(
    "fmt, at_least, decoded",
    [
        ("JPEG", (640, 480), (800, 600)),  # 1/2 in the DCT: 1/4 would leave 400x300
        ("JPEG", (150, 113), (200, 150)),  # 1/8
        ("JPEG", (801, 601), (1600, 1200)),  # any shrink would leave less
        ("PNG", (150, 113), (1600, 1200)),  # PNG cannot shrink on load
    ],
    ids=["jpeg-half", "jpeg-eighth", "jpeg-none", "png-none"],
)
def test_jpeg_shrinks_on_load_as_far_as_the_output_allows(fmt, at_least, decoded):
    data = encode(quadrants(1600, 1200), fmt)
    image = decode.load(data, decode.probe(data, 10**8, 10), at_least)
    assert (image.width, image.height) == decoded


def test_webp_shrinks_on_load_to_twice_the_output():
    data = encode(quadrants(1600, 1200), "WEBP")
    image = decode.load(data, decode.probe(data, 10**8, 10), (150, 113))
    assert 300 <= image.width <= 302 and 226 <= image.height <= 228
    assert upright_card(Image.frombytes("RGB", (image.width, image.height), image.write_to_memory()))


def test_variant_key_scheme():
    v = render_ladder(encode(quadrants(200, 100))).renditions[0]
    assert variant_key("01HXYZ_a-b", v) == f"v/01HXYZ_a-b/150x75-{v.sha256[:16]}.jpg"
    for bad in ["", "../x", "a/b", "a.b", "x" * 129]:
        with pytest.raises(ValueError):
            variant_key(bad, v)


# ---------------------------------------------------------------- placeholders


def th_average_and_ratio(hash_b64):
    """Reads back the average colour and aspect ratio, as ThumbHash decoders do."""
    h = base64.b64decode(hash_b64)
    header = h[0] | h[1] << 8 | h[2] << 16
    lum, p, q = (header & 63) / 63, (header >> 6 & 63) / 31.5 - 1, (header >> 12 & 63) / 31.5 - 1
    b = lum - 2 / 3 * p
    r = (3 * lum - b + q) / 2
    has_alpha, landscape = bool(h[2] & 0x80), bool(h[4] & 0x80)
    lx = (5 if has_alpha else 7) if landscape else h[3] & 7
    ly = h[3] & 7 if landscape else (5 if has_alpha else 7)
    return tuple(round(255 * min(1, max(0, c))) for c in (r, r - q, b)), lx / ly


@pytest.mark.parametrize(
    "w, h, alpha, expected",
    [
        (40, 30, False, "XPgFJYQzVHVgd4hxeEh4dlZ/LoDl"),
        (30, 40, False, "XPgFJQIzVFCGKIc3d4VnhzZsL0DS"),
        (40, 30, True, "XfiBFIIHRFRweIBYaPbmA4gJIQJUB4ZyAg=="),
        (100, 7, False, "VwkGIYhQYkZxd0iIX3dy9/g="),
    ],
    ids=["landscape", "portrait", "alpha", "strip"],
)
def test_thumbhash_matches_reference_golden_values(w, h, alpha, expected):
    # Expected values come from an independent port of the reference encoder
    # (rounding as JS Math.round). The card has no coefficient that is zero in
    # exact arithmetic, where float noise would make any two encoders differ.
    im = Image.new("RGBA", (w, h))
    im.putdata(
        [
            ((x * x + 3 * y) % 256, x * y * 5 % 256, (x + y * y) % 256, (x * y + 40) % 256 if alpha else 255)
            for y in range(h)
            for x in range(w)
        ]
    )
    assert base64.b64encode(thumbhash(im)).decode() == expected


def test_placeholder_and_dominant_colour():
    im = Image.new("RGB", (600, 300), (200, 40, 40))
    im.paste((30, 30, 200), (0, 0, 120, 300))  # a fifth is blue
    ladder = render_ladder(encode(im, "PNG"))
    avg, ratio = th_average_and_ratio(ladder.placeholder)
    assert ratio > 1 and avg[0] > avg[2]
    assert close(bytes.fromhex(ladder.dominant_color[1:]), (200, 40, 40), 10)
    transparent_bg = render_ladder(encode(rgba_card(), "PNG"))
    assert close(bytes.fromhex(transparent_bg.dominant_color[1:]), (0, 0, 255), 10)


# ---------------------------------------------------------------- bad inputs


def png_header_only(width, height):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def gif_header_only(width, height):
    """A GIF that declares one width x height frame and holds two bytes of it.
    (A huge screen around a tiny frame is no bomb here: libvips' GIF reader
    then draws the frame's size.)"""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame + b"\x3b"


def many_frames(n):
    """n frames of 1x1, each a different colour (Pillow merges equal ones)."""
    frames = [Image.new("RGB", (1, 1), (i % 256, i // 256, 0)) for i in range(n)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=20)


def bad_inputs():
    jpeg = encode(photo_like(256, 256), quality=90)
    png = encode(photo_like(64, 64), "PNG")
    webp = encode(photo_like(256, 256), "WEBP")
    gif = encode(photo_like(256, 256), "GIF")
    idat = png.index(b"IDAT") + 4
    broken_png = png[:idat] + bytes(b ^ 0x5A for b in png[idat : idat + 200]) + png[idat + 200 :]
    return [
        ("zero-bytes", b"", "empty", {}),
        ("text", b"hello, this is not an image\n" * 10, "not_an_image", {}),
        ("truncated-jpeg", jpeg[: len(jpeg) // 2], "truncated", {}),
        ("truncated-png", png[: len(png) // 2], "truncated", {}),
        ("truncated-webp", webp[: len(webp) // 2], "truncated", {}),
        ("truncated-gif", gif[: len(gif) // 2], "truncated", {}),
        ("corrupt-png-data", broken_png, "corrupt", {}),
        ("icon-file", encode(Image.new("RGB", (32, 32)), "ICO"), "unsupported_format", {}),
        # libvips reads TIFF; Darkroom does not take it (schemas.media.FORMATS)
        ("tiff-file", encode(Image.new("RGB", (32, 32)), "TIFF"), "unsupported_format", {}),
        ("bomb-100000x100000", png_header_only(100_000, 100_000), "too_many_pixels", {}),
        ("gif-bomb-12000x10000", gif_header_only(12_000, 10_000), "too_many_pixels", {}),
        ("over-max_pixels", png_header_only(3000, 3000), "too_many_pixels", {"max_pixels": 8_000_000}),
        ("frame-bomb-1001", many_frames(1001), "too_many_frames", {}),
        ("gif-over-max_frames", animation("GIF"), "too_many_frames", {"max_frames": 2}),
        ("webp-over-max_frames", animation("WEBP"), "too_many_frames", {"max_frames": 2}),
    ]


@pytest.mark.parametrize("data, code, opts", [c[1:] for c in bad_inputs()], ids=[c[0] for c in bad_inputs()])
def test_bad_input_raises_stable_code(data, code, opts, monkeypatch):
    if code in ("too_many_pixels", "too_many_frames"):  # refused from the header: no pixel decode at all
        monkeypatch.setattr(decode, "load", lambda *a, **k: pytest.fail("decoded a bomb"))
    with pytest.raises(UndecodableImage) as caught:
        render_ladder(data, LadderOptions(**opts))
    assert caught.value.code == code and code in CODES


def test_limits_default_to_the_one_setting_the_api_reads(monkeypatch):
    monkeypatch.setenv("DARKROOM_IMAGE_MAX_PIXELS", "90000")
    monkeypatch.setenv("DARKROOM_IMAGE_MAX_FRAMES", "2")
    limits, options = ImageLimits(), LadderOptions()
    assert (options.max_pixels, options.max_frames) == (limits.max_pixels, limits.max_frames) == (90_000, 2)
    three_frames, one_big = animation("GIF"), encode(quadrants(400, 300))  # 320x240 x 3; 400x300
    for data, code in [(three_frames, "too_many_frames"), (one_big, "too_many_pixels")]:
        with pytest.raises(UndecodableImage) as in_ladder:
            render_ladder(data, LadderOptions())
        with pytest.raises(UndecodableImage) as in_render:
            render(data, Transform(100, 75))
        assert in_ladder.value.code == in_render.value.code == code


def test_render_refuses_an_output_over_the_pixel_limit():
    with pytest.raises(ValueError, match="over 100000000 pixels"):
        render(encode(quadrants(40, 30)), Transform(20_000, 10_000), ImageLimits(max_pixels=100_000_000))


def test_undecodable_image_survives_the_pool():
    with new_pool(1) as pool, pytest.raises(UndecodableImage) as caught:
        pool.submit(render_ladder, b"").result(timeout=120)
    assert caught.value.code == "empty"
