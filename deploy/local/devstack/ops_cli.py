"""`./darkroom ops ...`: the operator's tools (devstack/ops.py,
ops_reprocess.py) on the local stack, or with `--k8s` on the local cluster.
DARKROOM_* variables in the environment win over the local stack's own
settings, so `eval "$(./darkroom env)"`-style exports point it anywhere."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from confluent_kafka import KafkaException

from connectors.errors import is_unavailable
from devstack import ops, ops_reprocess

DRAIN_NEVER = "never"


def register(commands: Any) -> None:
    parser = commands.add_parser("ops", help="lag, pause/resume, dead letters, reprocessing")
    parser.add_argument("--k8s", action="store_true", help="the local cluster of `./darkroom k8s up`")
    actions = parser.add_subparsers(dest="ops_command", required=True)
    lag = actions.add_parser("lag", help="each stage's lag per partition, rates and time to drain")
    lag.add_argument("stages", nargs="*", help="only these stages")
    lag.add_argument("--json", action="store_true")
    lag.add_argument("--interval", type=float, default=5.0, help="seconds between the two samples (rates)")
    pause = actions.add_parser("pause", help="stop a stage's workers fetching (offsets stay, lag grows)")
    pause.add_argument("stage")
    pause.add_argument("--reason", help="shown by `ops lag` and in the workers' logs")
    resume = actions.add_parser("resume", help="let a paused stage's workers fetch again")
    resume.add_argument("stage")
    dlq = actions.add_parser("dlq", help="a stage's dead letters").add_subparsers(dest="dlq_command",
                                                                                 required=True)
    listing = dlq.add_parser("list", help="the dead letters, oldest first, with what was replayed")
    show = dlq.add_parser("show", help="one dead letter in full")
    replay = dlq.add_parser("replay", help="send dead letters back to the stage's input, each once")
    for command in (listing, show, replay):
        command.add_argument("stage")
    for command in (listing, replay):
        command.add_argument("--since", help="30m, 2h, 7d or an ISO 8601 time")
        command.add_argument("--code", help="only letters with this code (e.g. unexpected_error)")
    listing.add_argument("--json", action="store_true")
    show.add_argument("offset", type=int, help="the letter's offset in darkroom.dlq.<stage>")
    replay.add_argument("--offset", type=int, action="append", dest="offsets",
                        help="only this letter (repeatable)")
    replay.add_argument("--again", action="store_true", help="replay letters replayed before, once more")
    again = actions.add_parser("reprocess", help="rebuild a stage's input from the records and send it again")
    again.add_argument("stage")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("--since", help="images recorded since: 30m, 2h, 7d or an ISO 8601 time")
    which.add_argument("--all", action="store_true", help="every image")
    again.add_argument("--run", help="the id of an earlier run to resume (its events keep their ids)")
    again.add_argument("--retry-failed", action="store_true", help="failed images too, back to processing")
    again.add_argument("--rate", type=float, help="at most this many events a second")


def target_env(k8s: bool) -> dict[str, str]:
    if k8s:
        from devstack.k8s_cluster import Cluster

        return Cluster().host_env()
    from devstack.stack import Stack

    stack = Stack.local()
    env = stack.env(stack.saved_addresses())
    env.update({k: v for k, v in os.environ.items() if k.startswith("DARKROOM_")})
    return env


def run(args: argparse.Namespace) -> int:
    try:
        env = target_env(args.k8s)
        handler = {"lag": _lag, "pause": _pause, "resume": _pause, "dlq": _dlq, "reprocess": _reprocess}
        return handler[args.ops_command](env, args)
    except ops.OpsError as exc:
        print(f"darkroom ops: {exc}", file=sys.stderr)
        return 2
    except KafkaException as exc:  # confluent-kafka's own; the connectors' are below
        print(f"darkroom ops: Kafka did not answer: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        print(f"darkroom ops: an engine did not answer: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _lag(env: dict[str, str], args: argparse.Namespace) -> int:
    found = ops.lag(env, args.stages or None, args.interval)
    if args.json:
        print(json.dumps([entry.as_json() for entry in found], indent=2))
        return 0
    print(f"{'stage':<10} {'topic/partition':<40} {'lag':>8} {'in/s':>8} {'out/s':>8} {'drains in':>10}")
    for entry in found:
        state = f"{entry.members} worker(s)" + (", PAUSED" if entry.paused else "")
        print(f"{entry.stage:<10} {'(' + state + ')':<40} {entry.lag:>8} {entry.produced_per_s:>8.1f} "
              f"{entry.consumed_per_s:>8.1f} {_drain(entry.drain_s):>10}")
        for p in entry.partitions:
            print(f"{'':<10} {f'{p.topic}/{p.partition}':<40} {p.lag:>8} {p.produced_per_s:>8.1f} "
                  f"{p.consumed_per_s:>8.1f} {_drain(p.drain_s):>10}")
    return 0


def _drain(seconds: float | None) -> str:
    if seconds is None:
        return DRAIN_NEVER
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _pause(env: dict[str, str], args: argparse.Namespace) -> int:
    if args.ops_command == "pause":
        control = ops.pause(env, args.stage, args.reason)
    else:
        control = ops.resume(env, args.stage)
    if args.k8s:
        # KEDA would otherwise scale a paused stage up on the lag its pause makes.
        from devstack.k8s_cluster import Cluster

        flag = "autoscaling.keda.sh/paused=true" if control.paused else "autoscaling.keda.sh/paused-"
        Cluster().kubectl("-n", "darkroom", "annotate", "--overwrite", "scaledobject",
                          f"darkroom-{control.stage}", flag)
    print(f"{control.stage}: {'paused' if control.paused else 'running'} (by {control.changed_by}); "
          "its workers follow within seconds")
    return 0


def _dlq(env: dict[str, str], args: argparse.Namespace) -> int:
    since = ops.parse_since(args.since) if getattr(args, "since", None) else None
    if args.dlq_command == "list":
        letters = ops.dead_letters(env, args.stage, since, args.code)
        if args.json:
            print(json.dumps([_letter_json(e) for e in letters], indent=2, default=str))
            return 0
        for entry in letters:
            letter = entry.letter
            done = entry.replay
            replayed = f"  [{done.state} {done.target or ''}]".replace(" ]", "]") if done else ""
            if letter is None:
                print(f"{entry.place:<10} (not a dead letter: {entry.raw[:60]!r})")
            else:
                print(f"{entry.place:<10} {letter.occurred_at:%Y-%m-%d %H:%M:%S} {letter.key or '-':<28} "
                      f"{letter.code:<20} {letter.reason[:60]}{replayed}")
        print(f"{len(letters)} dead letter(s)", file=sys.stderr)
        return 0
    if args.dlq_command == "show":
        found = [e for e in ops.dead_letters(env, args.stage) if e.offset == args.offset]
        if not found:
            print(f"darkroom ops: no dead letter at offset {args.offset} of {args.stage}", file=sys.stderr)
            return 2
        print(json.dumps(_letter_json(found[0]), indent=2, default=str))
        return 0
    report = ops.replay(env, args.stage, since=since, code=args.code, offsets=args.offsets, again=args.again)
    for entry, target in report.replayed:
        print(f"replayed {entry.place} -> {target}")
    for entry, why in report.skipped:
        print(f"skipped  {entry.place}: {why}")
    print(f"{len(report.replayed)} replayed, {len(report.skipped)} skipped", file=sys.stderr)
    return 0


def _letter_json(entry: ops.Letter) -> dict[str, Any]:
    return {"partition": entry.partition, "offset": entry.offset,
            "letter": entry.letter.model_dump(mode="json") if entry.letter else None,
            "raw": None if entry.letter else entry.raw.decode(errors="replace"),
            "replay": entry.replay.__dict__ if entry.replay else None}


def _reprocess(env: dict[str, str], args: argparse.Namespace) -> int:
    since = ops.parse_since(args.since) if args.since else None
    report = ops_reprocess.reprocess(env, args.stage, since=since, everything=args.all, run=args.run,
                                     retry_failed=args.retry_failed, per_second=args.rate)
    for topic, count in sorted(report.sent.items()):
        print(f"sent {count} to {topic}")
    for why, count in sorted(report.skipped.items()):
        print(f"skipped {count}: {why}")
    if report.not_rebuilt:
        print(f"not rebuilt (the records do not hold them): {', '.join(report.not_rebuilt)}")
    print(f"run {report.run}: watch `./darkroom ops lag {args.stage}` drain", file=sys.stderr)
    return 0
