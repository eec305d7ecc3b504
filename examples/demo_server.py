"""A tiny local web server to try ``fetchall`` on, without touching the network.

Run it and leave it running (Ctrl-C stops it)::

    python examples/demo_server.py            # http://127.0.0.1:8765
    python examples/demo_server.py --port 9000

then, in another terminal::

    fetchall examples/demo-urls.txt

Endpoints: ``/ok``, ``/page/{n}`` (a small HTML page), ``/slow`` (answers after
1.5 s), ``/status/{code}``, ``/redirect`` (to ``/ok``), ``/hang`` (never answers).

It can also be imported: :func:`serve_in_thread` starts it in a background
thread and returns a function that stops it, which is what ``demo.py`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
from collections.abc import Callable

from aiohttp import web

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SLOW_SECONDS = 1.5
# Short, so that Ctrl-C is not held up for long by a client waiting on /hang.
SHUTDOWN_TIMEOUT = 1.0


async def ok(request: web.Request) -> web.StreamResponse:
    """200 with a one-word body."""
    return web.Response(text="ok\n")


async def page(request: web.Request) -> web.StreamResponse:
    """A small HTML page that links to the next one."""
    try:
        n = int(request.match_info["n"])
    except ValueError:
        raise web.HTTPNotFound(text="no such page\n") from None
    html = (
        "<!doctype html>\n"
        f"<html><head><title>Page {n}</title></head>\n"
        f'<body><h1>Page {n}</h1><p><a href="/page/{n + 1}">next</a></p></body></html>\n'
    )
    return web.Response(text=html, content_type="text/html")


async def health(request: web.Request) -> web.StreamResponse:
    """A health endpoint that answers 200 while saying something is wrong."""
    return web.json_response({"status": "degraded", "checks": {"db": "ok", "queue": "slow"}})


async def slow(request: web.Request) -> web.StreamResponse:
    """200, but only after a noticeable pause."""
    await asyncio.sleep(SLOW_SECONDS)
    return web.Response(text="finally\n")


async def status(request: web.Request) -> web.StreamResponse:
    """Answer with the status code named in the path."""
    try:
        code = int(request.match_info["code"])
    except ValueError:
        raise web.HTTPBadRequest(text="status must be a number\n") from None
    if not 200 <= code <= 599:
        raise web.HTTPBadRequest(text="status must be 200-599\n")
    return web.Response(status=code, text=f"status {code}\n")


async def redirect(request: web.Request) -> web.StreamResponse:
    """A 302 to /ok."""
    raise web.HTTPFound("/ok")


async def hang(request: web.Request) -> web.StreamResponse:
    """Never answer: the client has to time out or give up."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable: nothing sets this event")


def make_app() -> web.Application:
    """The demo application with all its routes."""
    app = web.Application()
    app.add_routes(
        [
            web.get("/ok", ok),
            web.get("/page/{n}", page),
            web.get("/health", health),
            web.get("/slow", slow),
            web.get("/status/{code}", status),
            web.get("/redirect", redirect),
            web.get("/hang", hang),
        ]
    )
    return app


def serve_in_thread(port: int = DEFAULT_PORT) -> Callable[[], None]:
    """Serve the demo on 127.0.0.1:``port`` in a daemon thread.

    Returns once the server accepts connections (raising ``OSError`` if the
    port is taken); the returned function stops the server and its thread.
    """
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(
        make_app(),
        access_log=None,
        # Ends /hang handlers when their client leaves, not at shutdown.
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, HOST, port).start()

    thread = threading.Thread(target=run, name="demo-server", daemon=True)
    thread.start()

    def stop() -> None:
        if loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(
                timeout=SHUTDOWN_TIMEOUT + 10
            )
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)

    try:
        asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    except BaseException:
        stop()
        raise
    return stop


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description="Local demo server for fetchall.")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    args = parser.parse_args(argv)
    web.run_app(
        make_app(),
        host=HOST,
        port=args.port,
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        print=lambda _: print(
            f"fetchall demo server on http://{HOST}:{args.port}/ (Ctrl-C to stop)", flush=True
        ),
    )


if __name__ == "__main__":
    main()
