"""`python -m streams <stage>`: run one stage as a faust worker (its own
consumer group, so ops scale each stage on its own)."""

from __future__ import annotations

import importlib
import sys

STAGES = {"resize": "streams.resize", "metadata": "streams.metadata", "tagging": "streams.tagging",
          "indexing": "streams.indexing"}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in STAGES:
        sys.exit(f"usage: python -m streams {{{'|'.join(STAGES)}}} [faust worker options]")
    stage = importlib.import_module(STAGES[sys.argv[1]])
    # faust reads its own command line: hand it `worker` and any extra options.
    # --without-web: faust's worker command serves HTTP on port 6066 whatever the
    # app says, so a second worker on one host would die on the busy port.
    sys.argv = [f"darkroom-{sys.argv[1]}", "worker", "--loglevel", "info", "--without-web", *sys.argv[2:]]
    stage.app.main()


if __name__ == "__main__":
    main()
