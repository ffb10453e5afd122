"""The one opaque paging cursor codec: a JSON value, base64url without
padding. What a cursor means is its caller's; a cursor this API did not
make is InvalidCursor, never a 500."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ingest_api.errors import InvalidCursor


def encode(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("the cursor is not one this API made") from None
