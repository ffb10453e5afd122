"""Image ids that sort by creation time (the ULID layout, no dependency).

26 characters of Crockford base32: a 48-bit millisecond timestamp, then 80
random bits. Crockford's alphabet is in ASCII order, so comparing ids as
text compares their times, which is what newest-first listings rely on
(`images_by_owner` clusters by id). Within one millisecond a process
increments the random part, so its own ids stay strictly increasing.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_RANDOM_BITS = 80



def encode(value: int, length: int = 26) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


class IdGenerator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = (0, 0)  # (millisecond, random part) of the last id made

    def __call__(self, now_ms: int | None = None) -> str:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        with self._lock:
            last_ms, last_random = self._last
            if ms <= last_ms:
                # Same millisecond (or the clock stepped back): keep the order by counting up.
                ms, rand = last_ms, last_random + 1
                if rand >> _RANDOM_BITS:
                    ms, rand = ms + 1, secrets.randbits(_RANDOM_BITS - 1)
            else:
                # One bit of headroom, so the increments above practically never run out.
                rand = secrets.randbits(_RANDOM_BITS - 1)
            self._last = (ms, rand)
        return encode((ms << _RANDOM_BITS) | rand)


new_id = IdGenerator()


def decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + ALPHABET.index(char)
    return value


def timestamp_ms(image_id: str) -> int:
    return decode(image_id) >> _RANDOM_BITS


def is_valid(image_id: str) -> bool:
    return bool(PATTERN.match(image_id))
