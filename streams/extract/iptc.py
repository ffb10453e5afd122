"""IPTC facts (caption, keywords, copyright, creator), parsed by Pillow's
IptcImagePlugin.getiptcinfo from a JPEG's APP13 block (or a TIFF's IPTC tag).
Other formats carry IPTC in XMP, which Darkroom does not read."""

from __future__ import annotations

from PIL import Image, IptcImagePlugin

from streams.extract.values import Facts, Unreadable, text

# IPTC IIM dataset numbers (record 2, the application record).
CAPTION, KEYWORDS, COPYRIGHT, CREATOR = (2, 120), (2, 25), (2, 116), (2, 80)
CHARSET = (1, 90)
UTF8_ESCAPE = b"\x1b%G"  # 1:90 saying the text is UTF-8


def parse(im: Image.Image) -> dict:
    """{(record, dataset): bytes or [bytes]}, empty when there is no IPTC
    block. May raise anything on a hostile block."""
    return IptcImagePlugin.getiptcinfo(im) or {}


def _decode(raw: bytes, utf8: bool) -> str:
    # Without 1:90 most writers still use UTF-8; Latin-1 is the old default
    # and decodes any byte, so the text is never lost.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if utf8:
            raise Unreadable("declared UTF-8 but is not") from None
        return raw.decode("latin-1")


def read(info: dict, facts: Facts, max_text_chars: int, max_keywords: int, max_keyword_chars: int) -> None:
    utf8 = info.get(CHARSET) == UTF8_ESCAPE

    def one(raw: object) -> str:
        if isinstance(raw, list):  # a repeated dataset that should not be: keep the first
            raw = raw[0] if raw else b""
        if not isinstance(raw, bytes):
            raise Unreadable("not text")
        return _decode(raw, utf8)

    for field, dataset in (("caption", CAPTION), ("copyright", COPYRIGHT), ("creator", CREATOR)):
        facts.read(field, info.get(dataset), one, text(max_text_chars))
    _keywords(info.get(KEYWORDS), facts, utf8, max_keywords, max_keyword_chars)


def _keywords(raw: object, facts: Facts, utf8: bool, max_keywords: int, max_chars: int) -> None:
    if raw is None:
        return
    items = raw if isinstance(raw, list) else [raw]
    keywords: list[str] = []
    dropped = 0
    for item in items:
        try:
            keyword = text(max_chars)(_decode(item, utf8)) if isinstance(item, bytes) else None
        except Unreadable:
            keyword = None
        if keyword is None:
            dropped += 1
        elif keyword not in keywords:
            keywords.append(keyword)
    if dropped:
        facts.skip("keywords", f"{dropped} keywords dropped: empty, not text or over {max_chars} characters")
    if len(keywords) > max_keywords:
        facts.skip("keywords", f"{len(keywords)} keywords, kept the first {max_keywords}")
        keywords = keywords[:max_keywords]
    if keywords:
        facts.values["keywords"] = keywords
