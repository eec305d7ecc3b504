#!/usr/bin/env python3
"""Benchmark fetchall against curl, xargs + curl, wget2 and aria2c on a local server.

A local nginx on 127.0.0.1 (or, without nginx, an aiohttp server in a subprocess) serves a
200-byte file (`/small`), a 1 MiB file (`/big`) and a 100 ms delayed response (`/delay`). URL
lists with distinct query strings are generated in a temporary folder, then every client runs
on the same list with the same concurrency, in alternating rounds, and a markdown table is
printed per scenario: median wall time, requests/s, peak RSS and the ratio to the best client.

Nothing but 127.0.0.1 is ever contacted. The code is in the `harness` package beside this
file; see benchmarks/README.md.
"""

import sys

from harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
