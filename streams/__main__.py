"""`python -m streams <stage>`: run one stage as a faust worker (its own
consumer group, so ops scale each stage on its own)."""

from __future__ import annotations

import sys

from streams import registry


def main() -> None:
    stages = registry.discover()
    if len(sys.argv) < 2 or sys.argv[1] not in stages:
        sys.exit(f"usage: python -m streams {{{'|'.join(sorted(stages))}}} [faust worker options]")
    stage = stages[sys.argv[1]]
    # faust reads its own command line: hand it `worker` and any extra options.
    # --without-web: faust's worker command serves HTTP on port 6066 whatever the
    # app says, so a second worker on one host would die on the busy port.
    sys.argv = [stage.group, "worker", "--loglevel", "info", "--without-web", *sys.argv[2:]]
    stage.app.main()


if __name__ == "__main__":
    main()
