"""Who a bearer key belongs to."""

from __future__ import annotations

import hmac


class KeyTable:
    def __init__(self, users_by_key: dict[str, str]) -> None:
        self._keys = list(users_by_key.items())

    def user_for(self, key: str) -> str | None:
        """The user a bearer key belongs to; every key is compared in constant time."""
        user = None
        for candidate, name in self._keys:
            if hmac.compare_digest(candidate.encode(), key.encode()):
                user = name
        return user
