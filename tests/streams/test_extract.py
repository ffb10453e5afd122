"""The metadata extraction (streams/extract), without engines: every field
from generated photos, and every kind of broken or hostile metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from schemas.events import ImageUploaded
from streams import extract
from streams.metadata import MetadataSettings, extracted_event
from tests.streams import photos
from tests.streams.photos import EXPECTED, full_exif, full_iptc, full_jpeg, iim, photo, rational


def _skipped(skipped) -> dict[str, str]:
    return {s.field: s.reason for s in skipped}


# -- every field --------------------------------------------------------------

@pytest.mark.parametrize("field", sorted(EXPECTED))
def test_each_field_of_a_full_jpeg(field):
    metadata, skipped = extract.extract(full_jpeg(), keep_gps=True)
    assert getattr(metadata, field) == EXPECTED[field]
    assert skipped == []


def test_size_mime_and_bytes():
    data = full_jpeg(size=(80, 60))
    metadata, _ = extract.extract(data, keep_gps=False)
    assert (metadata.width, metadata.height, metadata.orientation) == (80, 60, 1)
    assert (metadata.mime_type, metadata.byte_size, metadata.frames) == ("image/jpeg", len(data), 1)


def test_gps_with_opt_in():
    metadata, _ = extract.extract(full_jpeg(), keep_gps=True)
    assert metadata.gps is not None
    assert metadata.gps.latitude == pytest.approx(photos.LATITUDE, abs=1e-6)
    assert metadata.gps.longitude == pytest.approx(photos.LONGITUDE, abs=1e-6)
    assert metadata.gps.altitude_m == pytest.approx(photos.ALTITUDE_M)


def test_gps_below_sea_level():
    exif = full_exif()
    exif.get_ifd(photos.GPS_IFD)[photos.ALT_REF] = b"\x01"
    metadata, _ = extract.extract(photo(exif=exif), keep_gps=True)
    assert metadata.gps.altitude_m == pytest.approx(-photos.ALTITUDE_M)


def test_no_gps_without_opt_in():
    metadata, skipped = extract.extract(full_jpeg(), keep_gps=False)
    assert metadata.gps is None
    assert "latitude" not in metadata.model_dump_json()
    assert skipped == []


def test_broken_gps_leaves_no_trace_without_opt_in():
    exif = full_exif()
    exif.get_ifd(photos.GPS_IFD)[photos.LAT] = (rational(200), rational(0), rational(0))
    assert extract.extract(photo(exif=exif), keep_gps=False)[1] == []
    assert "gps" in _skipped(extract.extract(photo(exif=exif), keep_gps=True)[1])


@pytest.mark.parametrize("orientation, size", [
    (1, (80, 60)), (2, (80, 60)), (3, (80, 60)), (4, (80, 60)),
    (5, (60, 80)), (6, (60, 80)), (7, (60, 80)), (8, (60, 80)),
])
def test_orientation_gives_upright_size(orientation, size):
    metadata, _ = extract.extract(full_jpeg(orientation, size=(80, 60)), keep_gps=False)
    assert metadata.orientation == orientation
    assert (metadata.width, metadata.height) == size


@pytest.mark.parametrize("fmt, mime", [("PNG", "image/png"), ("WEBP", "image/webp"),
                                       ("HEIF", "image/heic"), ("AVIF", "image/avif")])
def test_exif_and_icc_of_other_formats(fmt, mime):
    metadata, skipped = extract.extract(photo(fmt, exif=full_exif()), keep_gps=True)
    assert metadata.mime_type == mime
    assert (metadata.camera_make, metadata.iso, metadata.taken_at) == ("Fujifilm", 400, EXPECTED["taken_at"])
    assert metadata.icc_profile == "sRGB built-in"
    assert metadata.gps.latitude == pytest.approx(photos.LATITUDE, abs=1e-6)
    assert skipped == []


def test_heic_orientation_is_reported_and_its_size_is_already_upright():
    # libheif applies HEIF's own rotation on read; pillow-heif keeps the EXIF value aside.
    metadata, _ = extract.extract(photo("HEIF", size=(80, 60), exif=full_exif(orientation=6)), keep_gps=False)
    with Image.open(io.BytesIO(photo("HEIF", size=(80, 60), exif=full_exif(orientation=6)))) as im:
        upright = im.size
    assert metadata.orientation == 6
    assert (metadata.width, metadata.height) == upright


def test_animation_frames():
    frames = [Image.new("RGB", (16, 16), (i * 60, 0, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=40)
    metadata, _ = extract.extract(out.getvalue(), keep_gps=False)
    assert (metadata.frames, metadata.mime_type) == (3, "image/gif")


def test_nothing_to_read_is_not_a_skip():
    metadata, skipped = extract.extract(photo(icc=False), keep_gps=True)
    found = (metadata.camera_make, metadata.icc_profile, metadata.keywords, metadata.gps)
    assert found == (None, None, [], None)
    assert skipped == []


def test_latin1_iptc_without_declared_charset():
    data = photo(iptc=iim((2, 120, "Île de la Cité".encode("latin-1"))))
    assert extract.extract(data, keep_gps=False)[0].caption == "Île de la Cité"


def test_limits_come_from_settings(monkeypatch):
    monkeypatch.setenv("DARKROOM_METADATA_MAX_KEYWORDS", "2")
    limits = MetadataSettings().limits()
    metadata, skipped = extract.extract(full_jpeg(), keep_gps=False, limits=limits)
    assert metadata.keywords == ["paris", "tower"]
    assert _skipped(skipped) == {"keywords": "3 keywords, kept the first 2"}


# -- broken and hostile metadata ------------------------------------------------

def _exif_with(ifd: int | None, tag: int, value: object) -> Image.Exif:
    exif = full_exif()
    (exif.get_ifd(ifd) if ifd else exif)[tag] = value
    return exif


HOSTILE_EXIF = [
    ("iso", _exif_with(photos.EXIF_IFD, photos.ISO, -5), "outside"),
    ("exposure_time_s", _exif_with(photos.EXIF_IFD, photos.EXPOSURE, rational(10**9)), "outside"),
    ("exposure_time_s", _exif_with(photos.EXIF_IFD, photos.EXPOSURE, rational(1, 0)), "not a finite number"),
    ("f_number", _exif_with(photos.EXIF_IFD, photos.F_NUMBER, rational(-28, 10)), "outside"),
    ("focal_length_mm", _exif_with(photos.EXIF_IFD, photos.FOCAL, rational(10**7)), "outside"),
    ("orientation", _exif_with(None, photos.ORIENTATION, 9), "outside"),
    ("taken_at", _exif_with(photos.EXIF_IFD, photos.TAKEN, "0000:00:00 00:00:00"), "not a valid date"),
    ("taken_at", _exif_with(photos.EXIF_IFD, photos.TAKEN, "yesterday, roughly"), "not a valid date"),
    ("camera_make", _exif_with(None, photos.MAKE, "x" * 5000), "over the limit of 2000"),
    ("camera_model", _exif_with(None, photos.MODEL, b"\xff\xfe\x00\x9c"), "not UTF-8"),
    ("gps", _exif_with(photos.GPS_IFD, photos.LAT, (rational(200), rational(0), rational(0))), "outside"),
    ("gps", _exif_with(photos.GPS_IFD, photos.LON, (rational(2), rational(17))), "not three"),
    ("gps", _exif_with(photos.GPS_IFD, photos.LAT_REF, None), "hemisphere"),
    ("gps.altitude_m", _exif_with(photos.GPS_IFD, photos.ALT, rational(10**9)), "outside"),
]


@pytest.mark.parametrize("field, exif, reason", HOSTILE_EXIF,
                         ids=[f"{f}-{r.split()[0]}-{i}" for i, (f, _, r) in enumerate(HOSTILE_EXIF)])
def test_hostile_exif_value_is_skipped_with_its_reason(field, exif, reason):
    if field == "gps" and reason == "hemisphere":
        del exif.get_ifd(photos.GPS_IFD)[photos.LAT_REF]
    metadata, skipped = extract.extract(photo(exif=exif), keep_gps=True)
    assert reason in _skipped(skipped)[field]
    assert len(skipped) == 1, "only the broken field is skipped"
    top = field.split(".")[0]
    assert getattr(metadata, top) is None or field == "gps.altitude_m"
    assert metadata.camera_make == "Fujifilm" or field == "camera_make"  # the rest still read
    if field == "gps.altitude_m":
        assert metadata.gps.altitude_m is None and metadata.gps.latitude == pytest.approx(photos.LATITUDE)


def test_invalid_time_zone_offset_keeps_the_local_time():
    exif = _exif_with(photos.EXIF_IFD, photos.OFFSET, "+99:00")
    metadata, skipped = extract.extract(photo(exif=exif), keep_gps=False)
    assert metadata.taken_at == "2024-05-06T07:08:09"
    assert "offset" in _skipped(skipped)["taken_at"]


@pytest.mark.parametrize("tag, value", [(photos.TAKEN, "                   "), (photos.OFFSET, "      ")])
def test_blank_date_or_offset_means_unknown(tag, value):
    metadata, skipped = extract.extract(photo(exif=_exif_with(photos.EXIF_IFD, tag, value)), keep_gps=False)
    assert metadata.taken_at == (None if tag == photos.TAKEN else "2024-05-06T07:08:09")
    assert skipped == []


def test_unknown_zero_is_absent_not_skipped():
    exif = _exif_with(photos.EXIF_IFD, photos.F_NUMBER, rational(0))
    metadata, skipped = extract.extract(photo(exif=exif), keep_gps=False)
    assert metadata.f_number is None and skipped == []


@pytest.mark.parametrize("cut", [20, 60, 140])
def test_truncated_exif_never_gives_a_cut_value(cut):
    block = full_exif(gps=False).tobytes()  # b"Exif\0\0" + the TIFF structure
    data = photos.with_segments(photo(), photos.app1(block[:cut]))
    metadata, skipped = extract.extract(data, keep_gps=True)
    assert skipped, "a cut block must say what it lost"
    assert all("cut short" in s.reason for s in skipped)
    for field in ("camera_make", "camera_model", "software", "lens", "taken_at"):
        assert getattr(metadata, field) in (None, EXPECTED[field])
    assert (metadata.width, metadata.mime_type) == (64, "image/jpeg")


def test_garbage_exif_block():
    data = photos.with_segments(photo(), photos.app1(b"Exif\x00\x00" + bytes(range(256)) * 8))
    metadata, skipped = extract.extract(data, keep_gps=True)
    assert "exif" in _skipped(skipped)
    assert (metadata.width, metadata.height) == (64, 48)


def test_huge_iptc_caption_is_skipped():
    data = photo(iptc=full_iptc(caption="word " * 6_000))  # 30 000 bytes: near all APP13 holds
    metadata, skipped = extract.extract(data, keep_gps=False)
    assert metadata.caption is None
    assert "over the limit of 2000" in _skipped(skipped)["caption"]
    assert metadata.keywords == EXPECTED["keywords"] and metadata.creator == EXPECTED["creator"]


def test_too_many_and_too_long_keywords():
    keywords = [f"kw{i}" for i in range(300)] + ["k" * 65]
    metadata, skipped = extract.extract(photo(iptc=full_iptc(keywords=keywords)), keep_gps=False)
    assert metadata.keywords == [f"kw{i}" for i in range(100)]
    reasons = [s.reason for s in skipped if s.field == "keywords"]
    assert reasons == ["1 keywords dropped: empty, not text or over 64 characters",
                       "300 keywords, kept the first 100"]


def test_garbage_iptc_block():
    metadata, skipped = extract.extract(photo(iptc=b"\x00\x01garbage that is no IIM" * 10), keep_gps=False)
    assert "iptc" in _skipped(skipped)
    assert metadata.width == 64


def test_iptc_declared_utf8_but_is_not():
    data = photo(iptc=iim((1, 90, b"\x1b%G"), (2, 80, b"\xff\xfe bad"), (2, 116, b"fine")))
    metadata, skipped = extract.extract(data, keep_gps=False)
    assert (metadata.creator, metadata.copyright) == (None, "fine")
    assert "UTF-8" in _skipped(skipped)["creator"]


def test_garbage_icc_profile():
    out = io.BytesIO()
    photos.picture().save(out, "JPEG", icc_profile=b"not a profile" * 20)
    metadata, skipped = extract.extract(out.getvalue(), keep_gps=False)
    assert metadata.icc_profile is None and "icc_profile" in _skipped(skipped)


def test_truncated_file_still_gives_its_header_facts():
    data = full_jpeg()
    metadata, _ = extract.extract(data[: data.index(b"\xff\xda") + 40], keep_gps=False)  # pixels cut
    assert (metadata.camera_make, metadata.width, metadata.mime_type) == ("Fujifilm", 64, "image/jpeg")


@pytest.mark.parametrize("data, reason", [(b"", "zero bytes"), (b"plain text" * 10, "not an image")])
def test_not_an_image_gives_its_size_and_why(data, reason):
    metadata, skipped = extract.extract(data, keep_gps=True)
    assert (metadata.byte_size, metadata.mime_type, metadata.width) == (len(data), None, None)
    assert reason in _skipped(skipped)["image"]


# -- the stage's event ------------------------------------------------------------

def _uploaded(keep_gps: bool) -> ImageUploaded:
    return ImageUploaded(image_id="01J0000000000000000000000A", owner="ada", sha256="0" * 64,
                         original_key="originals/x", mime_type="image/jpeg", byte_size=1, width=1,
                         height=1, keep_gps=keep_gps)


def test_a_redelivered_event_publishes_the_same_facts():
    event, data = _uploaded(keep_gps=True), full_jpeg()
    first = extracted_event(event, data, extract.TextLimits())
    again = extracted_event(event, data, extract.TextLimits())
    assert (first.image_id, first.metadata, first.skipped) == (again.image_id, again.metadata, again.skipped)
    assert first.metadata.gps is not None


def test_the_event_carries_no_location_without_opt_in():
    published = extracted_event(_uploaded(keep_gps=False), full_jpeg(), extract.TextLimits()).value()
    assert b"latitude" not in published and b"gps\":null" in published
