"""Poison: the one error a stage raises on purpose. See streams/runner.py
for the whole taxonomy (retriable, poison, expected skips)."""

from __future__ import annotations


class Poison(Exception):
    """The record can never be processed: dead-letter it, never retry."""

    def __init__(self, code: str, reason: str, exception: str | None = None):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.exception = exception  # the error behind it, when it was not raised on purpose
