"""Photos for the metadata tests, made on the fly with every field set to a
known value: EXIF through Pillow's Image.Exif (IFD sub-dictionaries for the
Exif and GPS IFDs), IPTC as IIM bytes in a Photoshop APP13 block, an ICC profile."""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image, ImageCms
from PIL.TiffImagePlugin import IFDRational

pillow_heif.register_heif_opener()

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
MAKE, MODEL, ORIENTATION, SOFTWARE = 0x010F, 0x0110, 0x0112, 0x0131
EXPOSURE, F_NUMBER, ISO, TAKEN, OFFSET, FOCAL, LENS = 0x829A, 0x829D, 0x8827, 0x9003, 0x9011, 0x920A, 0xA434
LAT_REF, LAT, LON_REF, LON, ALT_REF, ALT = 1, 2, 3, 4, 5, 6

# What the photos say, and what the stage must report.
EXPECTED = {
    "camera_make": "Fujifilm", "camera_model": "X-T5", "lens": "XF23mmF1.4 R LM WR",
    "exposure_time_s": 0.004, "f_number": 2.8, "iso": 400, "focal_length_mm": 23.0,
    "taken_at": "2024-05-06T07:08:09+02:00", "software": "Darkroom test 1.0",
    "caption": "Tour Eiffel at dawn, café in front", "keywords": ["paris", "tower", "été"],
    "copyright": "© 2024 Ada Lovelace", "creator": "Ada Lovelace", "icc_profile": "sRGB built-in",
}
LATITUDE, LONGITUDE, ALTITUDE_M = 48.8583, -2.2945, 35.5  # 48°51'29.88" N, 2°17'40.2" W


def rational(numerator: int, denominator: int = 1) -> IFDRational:
    return IFDRational(numerator, denominator)


def full_exif(orientation: int = 1, gps: bool = True) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = EXPECTED["camera_make"], EXPECTED["camera_model"]
    exif[ORIENTATION], exif[SOFTWARE] = orientation, EXPECTED["software"]
    ifd = exif.get_ifd(EXIF_IFD)
    ifd[EXPOSURE], ifd[F_NUMBER], ifd[ISO] = rational(1, 250), rational(28, 10), 400
    ifd[FOCAL], ifd[LENS] = rational(23), EXPECTED["lens"]
    ifd[TAKEN], ifd[OFFSET] = "2024:05:06 07:08:09", "+02:00"
    if gps:
        location = exif.get_ifd(GPS_IFD)
        location[LAT_REF], location[LAT] = "N", (rational(48), rational(51), rational(2988, 100))
        location[LON_REF], location[LON] = "W", (rational(2), rational(17), rational(402, 10))
        location[ALT_REF], location[ALT] = b"\x00", rational(355, 10)
    return exif


def iim(*datasets: tuple[int, int, bytes]) -> bytes:
    """IPTC IIM: 0x1C, record, dataset, size, data; sizes over 32767 bytes
    take the extended form (0x8004 then four bytes)."""
    out = bytearray()
    for record, number, data in datasets:
        out += bytes([0x1C, record, number])
        if len(data) < 0x8000:
            out += len(data).to_bytes(2, "big")
        else:
            out += b"\x80\x04" + len(data).to_bytes(4, "big")
        out += data
    return bytes(out)


def full_iptc(caption: str = EXPECTED["caption"], keywords: list[str] = EXPECTED["keywords"]) -> bytes:
    return iim((1, 90, b"\x1b%G"), (2, 120, caption.encode()),
               *((2, 25, k.encode()) for k in keywords),
               (2, 116, EXPECTED["copyright"].encode()), (2, 80, EXPECTED["creator"].encode()))


def app13(iptc: bytes) -> bytes:
    """A Photoshop APP13 segment holding one 8BIM resource 0x0404 (IPTC)."""
    resource = b"8BIM" + (0x0404).to_bytes(2, "big") + b"\x00\x00" + len(iptc).to_bytes(4, "big") + iptc
    if len(iptc) % 2:
        resource += b"\x00"
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + (len(body) + 2).to_bytes(2, "big") + body


def app1(exif_block: bytes) -> bytes:
    return b"\xff\xe1" + (len(exif_block) + 2).to_bytes(2, "big") + exif_block


def with_segments(jpeg: bytes, *segments: bytes) -> bytes:
    """Insert raw segments right after the JPEG's SOI marker."""
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def picture(size: tuple[int, int] = (64, 48), seed: int = 0) -> Image.Image:
    """A gradient with `seed` stamped along the top edge as 4x4 black/white blocks, one per bit:
    distinct seeds give distinct files (dedup), and blocks, unlike one pixel, survive JPEG."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    for bit in range(size[0] // 4):
        image.paste((255, 255, 255) if seed >> bit & 1 else (0, 0, 0), (bit * 4, 0, bit * 4 + 4, 4))
    return image


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None,
          iptc: bytes | None = None, icc: bool = True, seed: int = 0, **options: object) -> bytes:
    out = io.BytesIO()
    if exif is not None:
        options["exif"] = exif
    if icc:
        options["icc_profile"] = srgb()
    picture(size, seed).save(out, fmt, **options)
    data = out.getvalue()
    return with_segments(data, app13(iptc)) if iptc is not None else data


def full_jpeg(orientation: int = 1, size: tuple[int, int] = (64, 48), seed: int = 0) -> bytes:
    return photo("JPEG", size, exif=full_exif(orientation), iptc=full_iptc(), seed=seed)
