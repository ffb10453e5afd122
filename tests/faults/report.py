"""The fault table: one row per fault, printed at the end of the session and
written as Markdown to $DARKROOM_FAULT_TABLE_DIR (default: the system's
temporary folder, darkroom-faults/) for the record.

Columns: the files posted, the images accepted, ready and failed (poison
only), duplicates (Cassandra / Elasticsearch / MinIO / topics: a second
image, document, object or event id for one thing), redelivered records
(the same event id read again: at-least-once, dropped by consumers by
id), orphans (objects without rows, rows without objects, claims or
documents without records, staging objects left), dead letters
(poison found / poison sent), time to recover and the evidence that the
fault hit work in progress.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.audit import Row


@dataclass
class Table:
    rows: dict[str, list[Row]] = field(default_factory=dict)  # by suite

    def add(self, suite: str, row: Row) -> None:
        self.rows.setdefault(suite, []).append(row)
        save(suite, render(suite, self.rows[suite]))  # row by row: an interrupted run keeps what it did


TABLE = Table()
HEADER = ("fault", "files", "accepted", "ready", "failed", "duplicates C/E/M/T", "orphans",
          "redelivered", "dead letters", "recover s", "batch s", "evidence")


def _cells(row: Row) -> tuple[str, ...]:
    dup = "/".join(str(row.duplicates.get(k, "-")) for k in ("cassandra", "elasticsearch", "minio", "topics"))
    orphans = sum(row.orphans.values())
    recover = "-" if row.recover_s is None else f"{row.recover_s:.1f}"
    lost = f" (LOST {row.lost})" if row.lost else ""
    return (row.fault, str(row.files), f"{row.accepted}{lost}", str(row.ready), str(row.failed), dup,
            str(orphans), str(row.repeats), row.dead_letters, recover, f"{row.seconds:.0f}", row.proof)


def render(suite: str, rows: list[Row]) -> str:
    lines = [f"Fault table, suite {suite}", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    problems = [f"- {r.fault}: {p}" for r in rows for p in r.problems]
    if problems:
        lines += ["", "Problems:", *problems]
    return "\n".join(lines)


def save(suite: str, text: str) -> Path:
    folder = Path(os.environ.get("DARKROOM_FAULT_TABLE_DIR", Path(tempfile.gettempdir()) / "darkroom-faults"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{suite}.md"
    path.write_text(text + "\n")
    return path
