"""Kafka headers Darkroom sets on records, declared once.

Events travel without headers; operators' tools add them to what they send
back into a stage's input topic (`./darkroom ops dlq replay`, `./darkroom ops
reprocess`), so a record says who it is for and where it came from:

- `darkroom-stage`: the one stage this record is for. Every other stage
  reading the topic skips it (streams/control.py); consumers outside
  Darkroom should skip records that carry it too.
- `darkroom-replay-of`: the dead letter replayed, `topic/partition/offset`.
- `darkroom-source`: where the dead letter's record was first read,
  `topic/partition/offset`.
- `darkroom-reprocess-run`: the reprocess run that rebuilt the event from
  the records.
- `darkroom-sent-by`: who ran the tool (user@host).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

STAGE = "darkroom-stage"
REPLAY_OF = "darkroom-replay-of"
SOURCE = "darkroom-source"
REPROCESS_RUN = "darkroom-reprocess-run"
SENT_BY = "darkroom-sent-by"

Headers = Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None


def get(headers: Headers, name: str) -> str | None:
    """A header's value from a record's headers, as clients hand them out
    (a list of pairs or a mapping); None when absent."""
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in pairs:
        if key == name:
            return value.decode(errors="replace") if isinstance(value, bytes | bytearray) else str(value)
    return None
