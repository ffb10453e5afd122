"""The transform options' grammar (schemas/transforms.py): one canonical
spelling per output, the API's names, the limits and their reasons."""

import pytest

from schemas import transforms
from schemas.transforms import InvalidOptions, Options, TransformLimits

LIMITS = TransformLimits(max_side=4096, max_output_pixels=10_000_000)


@pytest.mark.parametrize("text, expected", [
    ("f:jpeg", Options()),
    ("w:640,f:webp", Options(w=640, f="webp")),
    ("w:640,h:480,fit:fill,g:smart,f:webp,q:75",
     Options(w=640, h=480, fit="fill", g="smart", f="webp", q=75)),
    ("w:300,h:200,fit:crop,g:ne,r:90,flip:hv,f:png",
     Options(w=300, h=200, fit="crop", g="ne", r=90, flip="hv", f="png")),
    ("blur:1.5,sharpen:2,br:-20,ct:35,f:avif,q:50",
     Options(blur=1.5, sharpen=2.0, br=-20, ct=35, f="avif", q=50)),
    ("wm:t.wqkgRGFya3Jvb20,wmp:nw,wmo:80,wms:10,f:jpeg",
     Options(wm="t.wqkgRGFya3Jvb20", wmp="nw", wmo=80, wms=10)),
    ("w:160,wm:i.01ABC,anim:1,f:gif", Options(w=160, wm="i.01ABC", anim=True, f="gif")),
], ids=["nothing", "width", "fill-smart", "crop-turned", "filters", "text-watermark", "image-watermark"])
def test_canonical_options_parse_and_spell_back(text, expected):
    assert transforms.parse(text, LIMITS) == expected
    assert expected.text() == text


@pytest.mark.parametrize("text, canonical", [
    ("f:webp,w:640", "w:640,f:webp"),  # order
    ("w:640", "w:640,f:jpeg"),  # f always written
    ("w:640,fit:fit,f:jpeg", "w:640,f:jpeg"),  # a default written out
    ("w:640,f:jpeg,q:85", "w:640,f:jpeg"),  # the format's own quality
    ("blur:2.0,f:jpeg", "blur:2,f:jpeg"),
], ids=["order", "no-format", "default", "default-quality", "trailing-zero"])
def test_another_spelling_is_refused_with_the_canonical_one(text, canonical):
    with pytest.raises(InvalidOptions, match=f"canonical form: write {canonical}$"):
        transforms.parse(text, LIMITS)


@pytest.mark.parametrize("text, reason", [
    ("w:5000,f:jpeg", "w must be 1 to 4096"),
    ("w:4000,h:4000,f:jpeg", "4000x4000 is over the limit of 10000000 pixels"),
    ("f:bmp", "f must be one of jpeg, webp, avif, png, gif"),
    ("f:png,q:80", "png is lossless"),
    ("w:10,fit:fill,f:jpeg", "fit:fill needs both w and h"),
    ("w:10,g:n,f:jpeg", "g (gravity) applies to fit:fill and fit:crop only"),
    ("blur:99,f:jpeg", "blur must be 0.3 to 50"),
    ("br:150,f:jpeg", "br must be -100 to 100"),
    ("anim:1,f:jpeg", "anim needs an animated format"),
    ("wmo:20,f:jpeg", "need a watermark"),
    ("wm:x.y,f:jpeg", "wm is t."),
    ("r:45,f:jpeg", "r must be one of 0, 90, 180, 270"),
    ("zoom:2,f:jpeg", "'zoom:2' is not an option"),
    ("w:1,w:2,f:jpeg", "w is given twice"),
    ("x" * 500, "the options must be 1 to 400 characters"),
], ids=["side", "pixels", "format", "lossless-quality", "fill-box", "gravity", "blur", "brightness", "anim",
        "watermark-alone", "watermark-kind", "rotation", "unknown", "twice", "long"])
def test_limits_give_their_reason(text, reason):
    with pytest.raises(InvalidOptions, match=reason.replace("(", r"\(").replace(")", r"\)")):
        transforms.parse(text, LIMITS)


def test_the_api_names_make_the_same_options_and_back():
    params = {"w": 400, "h": 400, "fit": "fill", "gravity": "smart", "format": "webp", "quality": 80,
              "watermark": "text:© Darkroom", "watermark_opacity": 60, "rotate": "90", "animated": False}
    options = transforms.from_params(params)
    assert options.text() == "w:400,h:400,fit:fill,g:smart,r:90,wm:t.wqkgRGFya3Jvb20,wmo:60,f:webp"
    assert options.watermark_text == "© Darkroom"
    assert transforms.from_params(transforms.to_params(options)) == options
    assert transforms.to_params(Options()) == {"format": "jpeg"}
    with pytest.raises(InvalidOptions, match="watermark is text:<words> or image:<image id>"):
        transforms.from_params({"watermark": "logo.png"})


def test_keys_and_ladder_rungs():
    rung = transforms.ladder_rung(1280, "webp")
    assert rung.text() == "w:1280,h:1280,f:webp"
    key = transforms.key("private/", "01ABC", rung.text())
    assert key == "private/v/01ABC/t/w:1280,h:1280,f:webp"
    assert transforms.parse_key(key) == ("private/", "01ABC", "w:1280,h:1280,f:webp")
    assert transforms.parse_key("public/v/01ABC/640x480-0123456789abcdef.jpg") is None


def test_the_default_qualities_are_the_ladders():
    from streams.imaging import LadderOptions

    ladder = LadderOptions()
    ladder_quality = {"jpeg": ladder.jpeg_quality, "webp": ladder.webp_quality, "avif": ladder.avif_quality}
    assert ladder_quality == transforms.DEFAULT_QUALITY
