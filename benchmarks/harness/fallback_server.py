"""The local server when nginx is missing: ``python fallback_server.py PORT DELAY_S``.

Serves what the benchmark's nginx serves: ``/small`` (200 bytes), ``/big`` (1 MiB), ``/delay``
(answers after DELAY_S seconds) and ``/_requests`` (how many requests it has answered, not
counting these). One process, on uvloop when it can be imported; it runs until it is killed.
The harness starts it with the Python that runs fetchall, which has aiohttp.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web

HOST = "127.0.0.1"
SMALL = b"x" * 199 + b"\n"
BIG = bytes(1 << 20)
STATUS_PATH = "/_requests"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(delay_s: float) -> web.Application:
    served = 0

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal served
        if request.path != STATUS_PATH:
            served += 1
        return await handler(request)

    async def small(_request: web.Request) -> web.Response:
        return web.Response(body=SMALL, content_type="application/octet-stream")

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=BIG, content_type="application/octet-stream")

    async def delay(_request: web.Request) -> web.Response:
        await asyncio.sleep(delay_s)
        return web.Response(text="ok\n")

    async def requests(_request: web.Request) -> web.Response:
        return web.Response(text=str(served))

    app = web.Application(middlewares=[count])
    app.add_routes(
        [
            web.get("/small", small),
            web.get("/big", big),
            web.get("/delay", delay),
            web.get(STATUS_PATH, requests),
        ]
    )
    return app


async def serve(port: int, delay_s: float) -> None:
    runner = web.AppRunner(make_app(delay_s), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port, backlog=4096).start()
    await asyncio.Event().wait()  # until SIGTERM or SIGKILL from the harness


def main() -> None:
    port, delay_s = int(sys.argv[1]), float(sys.argv[2])
    try:
        import uvloop  # noqa: PLC0415 (optional)
    except ImportError:
        asyncio.run(serve(port, delay_s))
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(port, delay_s))


if __name__ == "__main__":
    main()
