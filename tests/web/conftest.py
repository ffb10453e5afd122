"""The page's browser tests: Playwright driving Debian's chromium (Playwright's
own browser download is not reachable from here), against the API and
workers deployed from the app image on the session's stack."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = "chromium"  # Debian's package and its command
# Headless as root, on a machine whose only network is the loopback: no
# sandbox (root), and none of Chromium's own calls home.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps"]


def chromium() -> str:
    """Debian's chromium, installed when missing (as devstack installs docker.io)."""
    found = shutil.which(CHROMIUM)
    if found:
        return found
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        pytest.fail("Debian's chromium is missing: `apt-get install chromium` (as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", CHROMIUM], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    return shutil.which(CHROMIUM) or pytest.fail("apt-get installed chromium but it is not on the PATH")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)
    try:
        yield launched
    finally:
        launched.close()
