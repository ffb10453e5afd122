"""UrlSigner's transform URLs (the token in the path), without engines: the
same verdicts nginx's signing.js gives (tests/render checks nginx itself)."""

import pytest
from pydantic import SecretStr

from connectors.nginx import NEVER, InvalidSignature, UrlSigner, transform_path

KEYS = SecretStr("k2:" + "n" * 32 + ",k1:" + "o" * 32)
NOW = 1_800_000_000
PUBLIC = transform_path("w:640,h:480,fit:fill,f:webp", "public/", "01ABC")
PRIVATE = transform_path("w:640,f:webp", "private/", "01ABC")


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_a_signed_transform_verifies_to_its_unsigned_path():
    url = UrlSigner(KEYS).sign_transform("http://cdn.example", PRIVATE, NOW + 60)
    assert url.startswith("http://cdn.example/t/k2.1800000060.")
    assert UrlSigner(KEYS).verify_transform(_path(url), now=NOW) == (PRIVATE, NOW + 60)


@pytest.mark.parametrize("change, code", [
    (lambda p: p.replace("w:640", "w:641"), "signature_invalid"),  # other options
    (lambda p: p.replace("/01ABC", "/01ABD"), "signature_invalid"),  # another image
    (lambda p: p.replace(".1800000060.", ".1800000600."), "signature_invalid"),  # a longer life
    (lambda p: p.replace("/t/k2.", "/t/k9."), "signature_invalid"),  # a key nobody has
    (lambda p: p.replace(p.split("/")[2], p.split("/")[2][:-3] + "AAA"), "signature_invalid"),  # the MAC
    (lambda p: "/t/" + p.split("/", 3)[3], "signature_missing"),  # no token
], ids=["options", "image", "expiry", "key-id", "signature", "unsigned"])
def test_tampered_unsigned_and_unknown_keys_are_refused(change, code):
    path = _path(UrlSigner(KEYS).sign_transform("http://x", PRIVATE, NOW + 60))
    with pytest.raises(InvalidSignature) as refused:
        UrlSigner(KEYS).verify_transform(change(path), now=NOW)
    assert refused.value.code == code


def test_expired_and_never_expiring():
    signer = UrlSigner(KEYS)
    expired = _path(signer.sign_transform("http://x", PRIVATE, NOW - 1))
    with pytest.raises(InvalidSignature) as refused:
        signer.verify_transform(expired, now=NOW)
    assert refused.value.code == "signature_expired"
    forever = _path(signer.sign_transform("http://x", PUBLIC, NEVER))
    assert signer.verify_transform(forever, now=NOW * 10) == (PUBLIC, NEVER)
    # A private image's URL must expire, even when the key holder signs it not to.
    with pytest.raises(InvalidSignature, match="only a public image's transform may never expire"):
        signer.verify_transform(_path(signer.sign_transform("http://x", PRIVATE, NEVER)), now=NOW)


def test_every_listed_key_verifies_so_keys_rotate():
    older_only = UrlSigner(SecretStr(KEYS.get_secret_value().split(",", 1)[1]))
    url = older_only.sign_transform("http://x", PUBLIC, NEVER)
    assert "/t/k1.0." in url
    assert UrlSigner(KEYS).verify_transform(_path(url), now=NOW) == (PUBLIC, NEVER)
    with pytest.raises(InvalidSignature):
        older_only.verify_transform(_path(UrlSigner(KEYS).sign_transform("http://x", PUBLIC, NEVER)))
