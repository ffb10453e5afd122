"""What operators change while Darkroom runs, kept in Cassandra so the local
stack and a cluster behave alike (tables in cassandra_schema.cql):

- `StageControls`: whether a stage is paused (`./darkroom ops pause|resume`);
  every worker of the stage reads it every few seconds (streams/control.py).
- `ReplayLedger`: which dead letters were replayed (`./darkroom ops dlq
  replay`). A letter is claimed with a lightweight transaction before it is
  sent, so two replays, or one run twice, never send it twice by accident.
- `BootstrapRuns`: the bootstrap's completed runs, by a fingerprint of what
  it creates; workloads on Kubernetes wait for their own image's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.cassandra import Cassandra, utc

CLAIMED, REPLAYED = "claimed", "replayed"

_SET_CONTROL = ("INSERT INTO stage_controls (stage, paused, reason, changed_by, changed_at) "
                "VALUES (?, ?, ?, ?, ?)")
_GET_CONTROL = "SELECT stage, paused, reason, changed_by, changed_at FROM stage_controls WHERE stage = ?"
_ALL_CONTROLS = "SELECT stage, paused, reason, changed_by, changed_at FROM stage_controls"
_CLAIM = ("INSERT INTO dead_letter_replays (stage, dlq_partition, dlq_offset, state, replayed_by, "
          f"replayed_at) VALUES (?, ?, ?, '{CLAIMED}', ?, ?) IF NOT EXISTS")
_RECLAIM = (f"UPDATE dead_letter_replays SET state = '{CLAIMED}', replayed_by = ?, replayed_at = ? "
            "WHERE stage = ? AND dlq_partition = ? AND dlq_offset = ? IF EXISTS")
_DONE = (f"UPDATE dead_letter_replays SET state = '{REPLAYED}', target = ? "
         "WHERE stage = ? AND dlq_partition = ? AND dlq_offset = ?")
_REPLAYS = ("SELECT dlq_partition, dlq_offset, state, replayed_by, replayed_at, target "
            "FROM dead_letter_replays WHERE stage = ?")
_MARK_RUN = "INSERT INTO bootstrap_runs (fingerprint, finished_at) VALUES (?, ?)"
_GET_RUN = "SELECT finished_at FROM bootstrap_runs WHERE fingerprint = ?"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Control:
    stage: str
    paused: bool
    reason: str | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None


class StageControls:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def set(self, stage: str, *, paused: bool, reason: str | None, by: str) -> Control:
        control = Control(stage, paused, reason, by, _now())
        self._db.execute(_SET_CONTROL, (stage, paused, reason, by, control.changed_at))
        return control

    def get(self, stage: str) -> Control:
        """The stage's control; a stage nobody ever paused is running."""
        row = self._db.execute(_GET_CONTROL, (stage,)).one()
        if row is None:
            return Control(stage, False)
        return Control(row.stage, bool(row.paused), row.reason, row.changed_by, utc(row.changed_at))

    def is_paused(self, stage: str) -> bool:
        return self.get(stage).paused

    def all(self) -> dict[str, Control]:
        return {row.stage: Control(row.stage, bool(row.paused), row.reason, row.changed_by,
                                   utc(row.changed_at))
                for row in self._db.execute(_ALL_CONTROLS)}


@dataclass(frozen=True)
class Replay:
    partition: int
    offset: int
    state: str  # claimed: being sent (or a send that crashed); replayed: sent, see `target`
    replayed_by: str | None
    replayed_at: datetime | None
    target: str | None  # topic/partition/offset of the record the replay made


class ReplayLedger:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def claim(self, stage: str, partition: int, offset: int, by: str, *, again: bool = False) -> bool:
        """Claim the dead letter at (partition, offset) for a replay; False
        when it was claimed before (replayed, or a replay that never finished).
        `again` takes an earlier claim over: a replay asked for on purpose."""
        if self._db.execute(_CLAIM, (stage, partition, offset, by, _now())).one().applied:
            return True
        if not again:
            return False
        return bool(self._db.execute(_RECLAIM, (by, _now(), stage, partition, offset)).one().applied)

    def done(self, stage: str, partition: int, offset: int, target: str) -> None:
        self._db.execute(_DONE, (target, stage, partition, offset))

    def replays(self, stage: str) -> dict[tuple[int, int], Replay]:
        return {(r.dlq_partition, r.dlq_offset): Replay(r.dlq_partition, r.dlq_offset, r.state, r.replayed_by,
                                                        utc(r.replayed_at), r.target)
                for r in self._db.execute(_REPLAYS, (stage,))}


class BootstrapRuns:
    def __init__(self, db: Cassandra) -> None:
        self._db = db

    def mark(self, fingerprint: str) -> None:
        self._db.execute(_MARK_RUN, (fingerprint, _now()))

    def finished_at(self, fingerprint: str) -> datetime | None:
        row = self._db.execute(_GET_RUN, (fingerprint,)).one()
        return utc(row.finished_at) if row is not None else None
