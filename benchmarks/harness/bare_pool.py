"""The reference client: a bare aiohttp pool, ``python bare_pool.py LIST LIMIT``.

The least an aiohttp program does to fetch a list: one session, LIMIT tasks pulling URLs from
one shared iterator over the file, each body read and thrown away, on uvloop when it can be
imported. It prints the number of 200 responses to stdout (the harness checks it against the
list's length) and any failures to stderr. Its CPU per request is the floor that fetchall's is
compared with: what aiohttp and the event loop cost, with nothing of fetchall's on top.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import aiohttp


async def fetch_all(urls: Iterator[str], limit: int) -> tuple[int, int]:
    ok = failed = 0
    connector = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal ok, failed
            for url in urls:  # one iterator shared by every worker
                try:
                    async with session.get(url) as resp:
                        await resp.read()
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    failed += 1
                    print(f"{url}: {exc!r}", file=sys.stderr)
                    continue
                if resp.status == 200:
                    ok += 1
                else:
                    failed += 1

        async with asyncio.TaskGroup() as group:
            for _ in range(limit):
                group.create_task(worker())
    return ok, failed


def main() -> int:
    list_file, limit = sys.argv[1], int(sys.argv[2])
    with open(list_file, encoding="utf-8") as fh:
        urls = (line.rstrip("\n") for line in fh if line.strip())
        try:
            import uvloop  # noqa: PLC0415 (optional, as in fetchall)
        except ImportError:
            ok, failed = asyncio.run(fetch_all(urls, limit))
        else:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                ok, failed = runner.run(fetch_all(urls, limit))
    print(ok)
    if failed:
        print(f"{failed} requests failed", file=sys.stderr)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
