"""Transforms rendered from options (streams/imaging/recipe.py and edits.py):
each option checked on pixels against a reference image made here with
Pillow (the test card: red | green over blue | white), orientation, colour
and animation as the ladder handles them, and determinism."""

import io

import pytest
from PIL import Image, ImageOps, ImageStat

from schemas import transforms
from schemas.transforms import InvalidOptions, Options, TransformLimits
from streams import imaging
from streams.imaging import recipe
from tests.streams.test_imaging import (
    _TO_STORED,
    BLUE,
    GREEN,
    RED,
    WHITE,
    animation,
    close,
    encode,
    frames_of,
    quadrant_colours,
    quadrants,
    shows,
    swapped_rg_profile,
    upright_card,
)

CARD = encode(quadrants(800, 600), quality=95)


def rendered(data: bytes, text: str, mark: bytes | None = None, **limits) -> Image.Image:
    out = imaging.render_options(data, transforms.parse(text), mark, TransformLimits(**limits))
    image = Image.open(io.BytesIO(out.data))
    assert image.size == (out.width, out.height)
    return image


def colour_at(image: Image.Image, fx: float, fy: float) -> tuple[int, ...]:
    return image.convert("RGB").getpixel((int(image.width * fx), int(image.height * fy)))


# ------------------------------------------------------------------ geometry


@pytest.mark.parametrize("text, size", [
    ("f:jpeg", (800, 600)),
    ("w:400,f:jpeg", (400, 300)),
    ("h:150,f:jpeg", (200, 150)),
    ("w:400,h:100,f:jpeg", (133, 100)),  # the height decides
    ("w:2000,f:jpeg", (800, 600)),  # never enlarged
    ("w:300,h:300,fit:fill,f:jpeg", (300, 300)),
    ("w:1000,h:200,fit:fill,f:jpeg", (800, 200)),  # cut to what the image has, not enlarged
    ("w:100,h:50,fit:crop,f:jpeg", (100, 50)),
    ("w:300,h:200,r:90,f:jpeg", (200, 267)),
], ids=["original", "width", "height", "box", "no-enlarge", "fill", "fill-short", "crop", "turned"])
def test_output_size(text, size):
    assert rendered(CARD, text).size == size


def test_a_square_box_of_a_rung_is_exactly_that_rung_of_the_ladder():
    for width, height in [(4000, 3000), (3000, 4000), (2048, 1000), (1000, 700), (20000, 10), (641, 640),
                          (999, 1001), (4001, 2999)]:
        for rung in imaging.plan_sizes(width, height):
            edge = max(rung)
            size, crop = recipe.geometry(transforms.ladder_rung(edge, "webp"), width, height)
            assert (size, crop) == (rung, None), (width, height, rung)


@pytest.mark.parametrize("gravity, kept", [
    ("n", [RED, GREEN]), ("s", [BLUE, WHITE]), ("w", [RED, BLUE]), ("e", [GREEN, WHITE]),
    ("nw", [RED]), ("se", [WHITE]),
], ids=["north", "south", "west", "east", "north-west", "south-east"])
def test_fill_and_crop_keep_the_part_gravity_says(gravity, kept):
    # A box of a quarter of the card at its own scale shows one quadrant; half of it, two.
    box = {1: "w:400,h:300", 2: "w:800,h:300" if gravity in ("n", "s") else "w:400,h:600"}[len(kept)]
    image = rendered(CARD, f"{box},fit:crop,g:{gravity},f:png")
    seen = [colour_at(image, 0.25, 0.25), colour_at(image, 0.75, 0.75)]
    assert all(any(close(c, k) for k in kept) for c in seen), seen
    if len(kept) == 2:  # fill: the same side, scaled to cover a thin box first
        box = "w:400,h:100" if gravity in ("n", "s") else "w:100,h:300"
        filled = rendered(CARD, f"{box},fit:fill,g:{gravity},f:png")
        points = [(0.25, 0.5), (0.75, 0.5)] if gravity in ("n", "s") else [(0.5, 0.25), (0.5, 0.75)]
        assert [close(colour_at(filled, *p), k) for p, k in zip(points, kept, strict=True)] == [True, True]


def test_smart_crop_finds_the_detail():
    # A flat grey field with one busy patch on the right: attention goes there.
    image = Image.new("RGB", (900, 300), (128, 128, 128))
    patch = Image.effect_noise((200, 200), 100).convert("RGB")
    image.paste(patch, (650, 50))
    out = rendered(encode(image, quality=95), "w:300,h:300,fit:crop,g:smart,f:png")
    centred = rendered(encode(image, quality=95), "w:300,h:300,fit:crop,f:png")
    assert sum(ImageStat.Stat(out).var) > 10 * sum(ImageStat.Stat(centred).var)


@pytest.mark.parametrize("text, corners", [
    ("r:90,f:png", [BLUE, RED, WHITE, GREEN]),
    ("r:180,f:png", [WHITE, BLUE, GREEN, RED]),
    ("r:270,f:png", [GREEN, WHITE, RED, BLUE]),
    ("flip:h,f:png", [GREEN, RED, WHITE, BLUE]),
    ("flip:v,f:png", [BLUE, WHITE, RED, GREEN]),
    ("flip:hv,f:png", [WHITE, BLUE, GREEN, RED]),
], ids=["r90", "r180", "r270", "flip-h", "flip-v", "flip-hv"])
def test_rotation_and_flips(text, corners):
    image = rendered(CARD, text)
    assert all(close(c, e) for c, e in zip(quadrant_colours(image), corners, strict=True)), \
        quadrant_colours(image)


@pytest.mark.parametrize("fmt, pillow", [("jpeg", "JPEG"), ("webp", "WEBP"), ("avif", "AVIF"), ("png", "PNG"),
                                         ("gif", "GIF")])
def test_formats(fmt, pillow):
    image = rendered(CARD, f"w:200,f:{fmt}")
    assert image.format == pillow and image.size == (200, 150)
    assert upright_card(image)


def test_quality_changes_the_bytes_not_the_picture():
    low, high = (imaging.render_options(CARD, transforms.parse(f"w:400,f:webp,q:{q}")) for q in (20, 95))
    assert len(low.data) < len(high.data)


# ------------------------------------------------------------------- filters


def test_blur_sharpen_brightness_contrast():
    base = rendered(CARD, "w:400,f:png")
    blurred = rendered(CARD, "w:400,blur:8,f:png")
    sharpened = rendered(CARD, "w:400,sharpen:2,f:png")
    at_edge = lambda im: im.convert("RGB").getpixel((198, 75))  # noqa: E731 - 2 px left of red|green
    assert close(at_edge(base), RED, 30) and not close(at_edge(blurred), RED, 30)
    assert sharpened.size == base.size
    brighter = rendered(CARD, "w:400,br:20,f:png")
    assert brighter.convert("RGB").getpixel((300, 225)) == (255, 255, 255)  # white clips
    assert colour_at(brighter, 0.25, 0.75)[0] > colour_at(base, 0.25, 0.75)[0] + 40  # blue, lighter
    flat = rendered(CARD, "w:400,ct:-100,f:png")  # no slope: everything mid-grey
    assert all(close(c, (128, 128, 128), 3) for c in quadrant_colours(flat))


# ----------------------------------------------------------------- watermark


def test_text_watermark_sits_where_asked_and_fades():
    dark = encode(Image.new("RGB", (800, 600), (10, 10, 10)), quality=95)

    def text(**more: object) -> str:
        params = {"w": 800, "watermark": "text:DARKROOM", "format": "png", **more}
        return transforms.from_params(params).text()

    for position, inside in (("se", (0.5, 0.5, 1, 1)), ("nw", (0, 0, 0.5, 0.5))):
        image = rendered(dark, text(watermark_position=position, watermark_opacity=100)).convert("L")
        box = tuple(int(v * s) for v, s in zip(inside, image.size * 2, strict=True))
        outside = (0, 0, 400, 300) if position == "se" else (400, 300, 800, 600)
        assert image.crop(box).getextrema()[1] > 200, position  # white letters there
        assert image.crop(outside).getextrema()[1] < 40, position  # nothing elsewhere
    faint = rendered(dark, text(watermark_opacity=20)).convert("L")
    assert 40 < faint.crop((400, 300, 800, 600)).getextrema()[1] < 120


def test_image_watermark_is_the_logo_scaled_to_its_share_of_the_width():
    blue = encode(Image.new("RGB", (800, 600), BLUE), quality=95)
    logo = Image.new("RGBA", (100, 50), (0, 0, 0, 0))
    logo.paste((230, 20, 20, 255), (0, 0, 100, 50))
    image = rendered(blue, "w:800,wm:i.01LOGO,wmp:c,wmo:100,wms:50,f:png", mark=encode(logo, "PNG"))
    assert close(colour_at(image, 0.5, 0.5), RED) and close(colour_at(image, 0.5, 0.1), BLUE)
    red = [x for x in range(800) if close(image.convert("RGB").getpixel((x, 300)), RED)]
    assert 395 <= len(red) <= 405  # 50 % of 800


def test_a_missing_watermark_image_is_refused():
    with pytest.raises(InvalidOptions, match="watermark image 01GONE is not available"):
        recipe.plan(transforms.parse("wm:i.01GONE,f:jpeg"), 800, 600, mark=None)


# ------------------------------------------------------- orientation, colour


@pytest.mark.parametrize("orientation", range(1, 9), ids=lambda o: f"orientation-{o}")
def test_exif_orientation_comes_out_upright(orientation):
    op = _TO_STORED[orientation]
    upright = quadrants(800, 600)
    stored = upright if op is None else upright.transpose(op)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(stored, exif=exif.tobytes(), quality=95)
    assert upright_card(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))  # the oracle agrees
    image = rendered(data, "w:400,h:400,fit:fill,f:webp")
    assert image.size == (400, 400) and not image.getexif()
    assert upright_card(rendered(data, "w:300,f:jpeg"))


@pytest.mark.parametrize("source", ["cmyk-jpeg", "16-bit-png", "icc-tagged"])
def test_cmyk_16_bit_and_tagged_photos_come_out_srgb(source):
    data, expected = {
        "cmyk-jpeg": (encode(Image.new("CMYK", (400, 300), (0, 255, 255, 0))), (255, 0, 0)),
        "16-bit-png": (encode(Image.new("I;16", (400, 300), 32768), "PNG"), (128, 128, 128)),
        "icc-tagged": (encode(Image.new("RGB", (400, 300), (255, 0, 0)), icc_profile=swapped_rg_profile()),
                       (0, 255, 0)),
    }[source]
    for fmt in ("jpeg", "webp", "png"):
        image = rendered(data, f"w:200,h:200,fit:fill,f:{fmt}")
        assert image.mode in ("RGB", "RGBA") and "icc_profile" not in image.info
        assert close(image.convert("RGB").getpixel((100, 100)), expected, 60), (source, fmt)


def test_an_animated_gif_stays_animated_where_asked():
    gif = animation("GIF", size=(320, 240))
    assert shows(frames_of(imaging.render_options(gif, transforms.parse("w:160,anim:1,f:gif"))),
                 [RED, BLUE, GREEN])
    assert shows(frames_of(imaging.render_options(gif, transforms.parse("w:160,h:160,fit:fill,r:90,anim:1,"
                                                                        "f:webp"))), [RED, BLUE, GREEN])
    assert shows(frames_of(imaging.render_options(gif, transforms.parse("w:160,f:gif"))), [RED])  # not asked


# ---------------------------------------------------------------- determinism


def test_the_same_options_give_the_same_bytes_in_process_and_in_pool():
    import asyncio

    options = Options(w=500, h=300, fit="fill", g="smart", blur=1.5, br=5, wm="t.RGFya3Jvb20", f="webp")
    first, second = (imaging.render_options(CARD, options) for _ in range(2))
    assert first == second
    with imaging.new_pool(1) as pool:
        third = asyncio.run(imaging.run_in(pool, imaging.render_options, CARD, options, None))
    assert third == first


def test_output_pixels_over_the_limit_are_refused_before_decoding():
    with pytest.raises(InvalidOptions, match="the result, 800x600, is over the limit of 100000 pixels"):
        imaging.render_options(CARD, transforms.parse("f:jpeg"), None,
                               TransformLimits(max_output_pixels=100_000))


def test_shortfall_says_when_a_box_needs_a_larger_image():
    assert recipe.shortfall(transforms.parse("w:400,h:400,fit:fill,f:jpeg"), 800, 600) is None
    assert recipe.shortfall(transforms.parse("w:1000,h:400,fit:fill,f:jpeg"), 800, 600) == \
        "1000x400 (fill) needs a larger image than 800x600"
    assert recipe.shortfall(transforms.parse("w:1000,f:jpeg"), 800, 600) is None  # fit: its own size is fine
