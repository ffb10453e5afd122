"""The local stack and the `./darkroom` command line (folder deploy/local/)."""

import os

# testcontainers reads its configuration once, when first imported (by
# devstack.stack): `up`, `demo` and the tests all start containers through it.
for _name, _value in {
    "TESTCONTAINERS_RYUK_DISABLED": "true",  # its image cannot be had: no registry here
    # This machine kind has /.dockerenv: without these two, testcontainers hands
    # out the bridge gateway's address instead of localhost.
    "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
    "TC_HOST": "localhost",
}.items():
    os.environ.setdefault(_name, _value)
