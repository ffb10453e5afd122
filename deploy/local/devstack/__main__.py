"""`./darkroom <command>`: the one entry point for people and CI."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from devstack import bootstrap, docker_engine, engines, images, k8s_cli, log, ops_cli, status, upload
from devstack.stack import Stack, StackError
from streams import registry

ROOT = images.ROOT
TESTS = ROOT / "tests"


def _up() -> dict[str, str]:
    client = docker_engine.client()
    stack = Stack.local()
    addresses = stack.start(client)
    env = stack.env(addresses)
    bootstrap.run(env)
    log.step("starting the API and one worker per stage from the app image")
    stack.save_services(stack.start_services(client, addresses))
    return env


def cmd_up(_: argparse.Namespace) -> int:
    env = _up()
    log.step("stack is up; `./darkroom status` shows it, `./darkroom down` stops it")
    for key, value in env.items():
        if "SECRET" not in key:
            print(f"{key}={value}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    Stack.local().stop(docker_engine.client(), wipe=args.wipe)
    log.step("stack stopped" + (" and its data removed" if args.wipe else "; data kept"))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    report = status.collect()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, entry in report.items():
            mark = "up  " if entry["healthy"] else "DOWN"
            print(f"{mark} {name:<14} {entry.get('version') or '-':<32} {entry.get('address') or '-'}")
    return 0 if all(e["healthy"] for e in report.values()) else 1


def cmd_env(_: argparse.Namespace) -> int:
    stack = Stack.local()
    for key, value in stack.env(stack.saved_addresses()).items():
        print(f"export {key}={value}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run one stage in the foreground against the local stack (for development;
    `up` already runs one of each in a container)."""
    stages = registry.discover()
    if args.stage not in stages:
        print(f"darkroom worker: no stage {args.stage!r}; the stages are {', '.join(sorted(stages))}",
              file=sys.stderr)
        return 2
    stack = Stack.local()
    env = {**os.environ, **stack.env(stack.saved_addresses())}
    return subprocess.run([sys.executable, "-m", "streams", args.stage], env=env).returncode


def cmd_lint(_: argparse.Namespace) -> int:
    """ruff over the whole repository, then mypy over what pyproject.toml's
    [tool.mypy] lists; both run, so one report shows every finding."""
    failed = []
    for tool, args in (("ruff", ["check", "."]), ("mypy", [])):
        log.step(f"lint: {tool} {' '.join(args)}".rstrip())
        if subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT).returncode != 0:
            failed.append(tool)
    if failed:
        print(f"darkroom lint: {' and '.join(failed)} found problems", file=sys.stderr)
    return 1 if failed else 0


def cmd_build(_: argparse.Namespace) -> int:
    images.build_all(docker_engine.client(), engines.images_to_build(app=True))
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from devstack import demo

    env = _up()
    demo.smoke(env)
    stack = Stack.local()
    api = stack.saved_services()["api"]
    try:
        engines.wait_ready(api)
    except TimeoutError as exc:
        raise SystemExit(f"the API is not ready: {exc}") from None
    ok = demo.main_job(api, stack.api_key)
    log.step("the stack keeps running: `./darkroom status` to look, `./darkroom down` to stop it")
    return 0 if ok else 1


def cmd_test(args: argparse.Namespace) -> int:
    client = docker_engine.client()
    # The tests start images, never build them. The app image is needed only by
    # tests/deploy; skip it (minutes of CPU after each source change) when the
    # paths asked for cannot reach there.
    paths = [Path(a.split("::")[0]).resolve() for a in args.pytest_args]
    paths = [p for p in paths if p.exists()]  # not options, nor their values
    reaches_deploy = not paths or any(p in (TESTS, *TESTS.parents) or p.is_relative_to(TESTS / "deploy")
                                      for p in paths)
    images.build_all(client, engines.images_to_build(app=reaches_deploy))
    # The environment carries DOCKER_HOST and the testcontainers settings (devstack/__init__.py).
    result = subprocess.run([sys.executable, "-m", "pytest", *args.pytest_args], cwd=ROOT)
    if result.returncode == 5:
        print("darkroom test: no test ran; that is a failure", file=sys.stderr)
        return 1
    return result.returncode


def cmd_upload(args: argparse.Namespace) -> int:
    return upload.run(args)


def cmd_k8s(args: argparse.Namespace) -> int:
    return k8s_cli.run(args)


def cmd_ops(args: argparse.Namespace) -> int:
    return ops_cli.run(args)


def main() -> int:
    parser = argparse.ArgumentParser(prog="darkroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="bring up the stack and run the main job on sample data")
    test = commands.add_parser("test", help="run the test suite (starts its own throwaway stack)")
    test.add_argument("pytest_args", nargs="*", help="passed on to pytest, options included")
    commands.add_parser("up", help="start the long-lived local stack and bootstrap it")
    down = commands.add_parser("down", help="stop the local stack (data is kept)")
    down.add_argument("--wipe", action="store_true", help="also remove its data volumes")
    state = commands.add_parser("status", help="health, version and address of each part")
    state.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    commands.add_parser("env", help="print the DARKROOM_* settings for the running stack")
    commands.add_parser("build", help="build every container image")
    commands.add_parser("lint", help="ruff and mypy, as CI runs them")
    worker = commands.add_parser("worker", help="run one stream stage in the foreground")
    # Checked in cmd_worker against the declared stages (finding them imports every stage).
    worker.add_argument("stage", help="a stage declared in streams/ (resize, metadata, ...)")
    upload_cmd = commands.add_parser("upload", help="upload files and folders of photos, resumably, with "
                                                   "progress (also the command darkroom-upload)")
    upload.add_arguments(upload_cmd)
    k8s_cli.register(commands)
    ops_cli.register(commands)
    argv = sys.argv[1:]
    if argv[:1] == ["test"]:  # everything after `test` belongs to pytest, verbatim
        args = parser.parse_args(["test"])
        args.pytest_args = argv[1:]
    else:
        args = parser.parse_args(argv)
    handler = globals()[f"cmd_{args.command}"]
    try:
        return handler(args)
    except StackError as exc:
        print(f"darkroom: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
