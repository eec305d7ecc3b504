"""A local HTTP server that misbehaves on demand, for testing ``fetchall``.

``FaultServer`` runs an aiohttp application on ``127.0.0.1`` in a background
thread with its own event loop.  Running it off the test's thread means the same
server serves synchronous tests (click's ``CliRunner``, ``subprocess`` runs of
the CLI, ``urllib``) and asynchronous ones (an ``asyncio.run`` inside a test)
without either side blocking the other.

Every counter is guarded by one ``threading.Lock`` because the server loop
writes them while the test thread reads them.  Reads return copies, so a test
never iterates a dict that the server is mutating.

Endpoints (every path accepts GET and HEAD, and any other method):

=============================================  ======================================
``/ok``                                        200, ``b"ok\\n"``, ``text/plain``
``/bytes/{n}[?chunked=1]``                     200, exactly n bytes, streamed in 64 KiB
                                               chunks with ``Content-Length`` (or chunked)
``/status/{code}``                             that status (200-599), short body
``/delay/{ms}``, ``/slow-headers/{ms}``        sleep ms milliseconds, then 200 ``ok``
``/hang``                                      never answers; ends only when the
                                               client goes away (a disconnect)
``/gate/{name}[?status=S]``                     held until ``release(name)``, then S (200)
``/redirect/{n}``                              302 to ``/redirect/{n-1}`` ... ``/ok``
                                               (exactly n hops; ``/redirect/0`` is 200)
``/redirect-loop``                             302 to itself, forever
``/redirect-to?url=U[&status=S]``              S (default 302) to U
``/trickle?bytes=N&interval=S[&status=C]``     headers with ``Content-Length: N`` at
                                               once, then 1 byte every S seconds
``/reset``                                     ``Content-Length: 100000``, 4 KiB of
                                               body, then a TCP reset
``/close-early``                               ``Content-Length: 1000``, 10 bytes, close
``/malformed``                                 raw ``HTTP/1.1 abc def`` status line, close
``/garbage``                                   raw ``this is not http``, close
``/retry-after/{key}?n=K&after=V``             first K hits of key: 503 with
                                               ``Retry-After: V`` (verbatim); then 200
``/flaky/{key}?n=K&status=S``                  first K hits of key: status S
                                               (default 503); then 200
``/headers``                                   200, JSON object of the request headers
``/echo-method``                               200, the request method as the body
``/count``                                     200, this request's 1-based number
``/say?text=T[&type=CT][&header=N:V]...``      200 (S with ``&status=S``), body T
                                               (UTF-8), Content-Type CT (``text/plain``),
                                               and each header given
=============================================  ======================================

``/retry-after`` and ``/flaky`` share one key space, ``key_hits``; use distinct
keys per test.  Defaults: ``n=1``, ``after=0``, ``status=503``, ``bytes=10``,
``interval=0.1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiohttp import web

__all__ = ["FaultServer", "Gate", "LogEntry"]

#: One ``request_log`` entry: (``time.monotonic()``, method, path with query, headers).
LogEntry = tuple[float, str, str, dict[str, str]]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CHUNK_SIZE = 64 * 1024
# A fixed, non-uniform pattern: a client that mixes up offsets shows different
# bytes, which an all-zero body would hide.
_CHUNK = bytes(range(256)) * (_CHUNK_SIZE // 256)
_OK_BODY = b"ok\n"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# The request's 1-based sequence number, set by the counting middleware so that
# /count reports the number this very request got, not a later value.
_SEQ_KEY = web.RequestKey("fault_seq", int)


class Gate:
    """A named barrier that holds ``/gate/{name}`` requests until released.

    The test thread calls :meth:`release` and :meth:`wait_for_arrivals`; the
    server loop calls :meth:`hold`.  Arrival bookkeeping uses a
    ``threading.Condition`` so the test thread can block on it, while the hold
    itself is an ``asyncio.Event`` that only the server loop may set.
    """

    def __init__(self, name: str, loop: asyncio.AbstractEventLoop) -> None:
        """Create a closed gate whose requests are held on ``loop``."""
        self.name = name
        self._loop = loop
        # asyncio.Event binds to a loop on first wait (3.10+), so creating it on
        # the test thread is safe as long as only the server loop waits/sets it.
        self._event = asyncio.Event()
        self._cond = threading.Condition()
        self._arrivals = 0
        self._waiting = 0
        self._released = False

    @property
    def arrivals(self) -> int:
        """How many requests have reached this gate in total."""
        with self._cond:
            return self._arrivals

    @property
    def waiting(self) -> int:
        """How many requests are being held at this gate right now."""
        with self._cond:
            return self._waiting

    @property
    def released(self) -> bool:
        """Whether :meth:`release` has been called (the gate stays open)."""
        with self._cond:
            return self._released

    def release(self) -> None:
        """Open the gate: held requests answer, later ones pass straight through."""
        with self._cond:
            if self._released:
                return
            self._released = True
        with contextlib.suppress(RuntimeError):
            # A closed loop (server stopped) has no held requests left to free.
            self._loop.call_soon_threadsafe(self._event.set)

    def wait_for_arrivals(self, n: int, timeout: float = 10.0) -> None:
        """Block until at least ``n`` requests are held here at the same time.

        Raises ``AssertionError`` after ``timeout`` seconds.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._waiting >= n, timeout):
                raise AssertionError(
                    f"gate {self.name!r}: {self._waiting} request(s) waiting "
                    f"({self._arrivals} arrived) after {timeout}s, wanted {n}"
                )

    async def hold(self) -> None:
        """Wait on the server loop until the gate is released."""
        with self._cond:
            self._arrivals += 1
            self._waiting += 1
            self._cond.notify_all()
        try:
            await self._event.wait()
        finally:
            # Also on cancellation: a client that gave up is no longer waiting.
            with self._cond:
                self._waiting -= 1
                self._cond.notify_all()


class FaultServer:
    """A misbehaving HTTP server on 127.0.0.1, run in a background thread.

    Use it as a context manager or call :meth:`start` / :meth:`stop`.  Between
    tests call :meth:`reset`.  See the module docstring for the endpoints.
    """

    def __init__(
        self, shutdown_timeout: float = 0.5, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Prepare (but do not start) a server.

        ``shutdown_timeout`` bounds how long :meth:`stop` lets unfinished
        handlers (``/hang``, a slow ``/trickle``) run before cancelling them.
        With ``ssl_context`` it serves https instead of http.
        """
        self._shutdown_timeout = shutdown_timeout
        self._ssl_context = ssl_context
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._init_state()

    def _init_state(self) -> None:
        """Set every counter to its empty value (caller holds the lock or is __init__)."""
        # A handler that started before a reset() must not touch the new
        # counters when it finishes, or in_flight could go negative.
        self._generation = getattr(self, "_generation", 0) + 1
        self._hits: Counter[str] = Counter()
        self._key_hits: Counter[str] = Counter()
        self._total_requests = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._in_flight_by_host: Counter[str] = Counter()
        self._max_in_flight_by_host: Counter[str] = Counter()
        self._disconnects = 0
        self._completed = 0
        self._request_log: list[LogEntry] = []
        self._client_ports: set[int] = set()
        self._gates: dict[str, Gate] = {}

    # ------------------------------------------------------------------ life cycle

    def start(self) -> FaultServer:
        """Start serving on a free port; return ``self`` once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("FaultServer already started")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run_loop, args=(loop,), name="FaultServer", daemon=True
        )
        self._loop, self._thread = loop, thread
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._astart(), loop).result(timeout=10)
        except BaseException:
            self._stop_loop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, finish or cancel every handler, and close the loop."""
        loop = self._loop
        if loop is None or self._thread is None:
            return
        with self._lock:
            gates = list(self._gates.values())
        for gate in gates:
            # Released gates let held requests answer instead of being cut off.
            gate.release()
        try:
            asyncio.run_coroutine_threadsafe(self._astop(), loop).result(
                timeout=self._shutdown_timeout * 2 + 10
            )
        finally:
            self._stop_loop()

    def __enter__(self) -> FaultServer:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        """Thread body: run the loop until stop() asks it to end, then close it."""
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    def _stop_loop(self) -> None:
        """Stop the loop thread and forget it, so start() could run again."""
        loop, thread = self._loop, self._thread
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)
        self._loop = self._thread = self._runner = None
        self._port = None

    async def _astart(self) -> None:
        """Build the app and bind 127.0.0.1:0 on the server loop."""
        app = web.Application(middlewares=[self._track])
        self._add_routes(app)
        # handler_cancellation: aiohttp otherwise lets a handler run on after its
        # client left, and /hang could never be counted as a disconnect.
        runner = web.AppRunner(
            app,
            handler_cancellation=True,
            access_log=None,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._ssl_context)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def _astop(self) -> None:
        """Close the listener and connections, then cancel any stray task."""
        if self._runner is not None:
            await self._runner.cleanup()
        current = asyncio.current_task()
        stray = [t for t in asyncio.all_tasks() if t is not current]
        for task in stray:
            task.cancel()
        # Awaiting them lets each cancellation finish, so closing the loop
        # destroys no pending task (no "Task was destroyed" warning).
        await asyncio.gather(*stray, return_exceptions=True)

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FaultServer is not running")
        return self._port

    @property
    def base(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT`` (``https`` when serving TLS)."""
        scheme = "http" if self._ssl_context is None else "https"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        """An absolute URL for ``path`` on host ``127.0.0.1``."""
        return self.base + _with_slash(path)

    def url_localhost(self, path: str = "/") -> str:
        """An absolute URL for ``path`` on host ``localhost``.

        Same server, but a different host name, so per-host limits and
        ``in_flight_by_host`` see two hosts.
        """
        return self.base.replace("127.0.0.1", "localhost", 1) + _with_slash(path)

    @staticmethod
    def refused_url(path: str = "/") -> str:
        """A URL on 127.0.0.1 whose port refuses connections.

        The port was bound (so it was free) and closed again; nothing listens.
        """
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        return f"http://127.0.0.1:{port}" + _with_slash(path)

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Forget every counter, key, log entry and gate.

        Requests still held at a gate are released so their handlers end;
        handlers from before the reset no longer touch the counters.
        """
        with self._lock:
            gates = list(self._gates.values())
            self._init_state()
        for gate in gates:
            gate.release()

    @property
    def hits(self) -> Counter[str]:
        """Requests per path (a copy).

        Every request counts under its path without the query string; one with
        a query string counts under its full ``path?query`` too.  Missing keys
        read as 0.
        """
        with self._lock:
            return Counter(self._hits)

    @property
    def key_hits(self) -> Counter[str]:
        """Requests per ``/retry-after`` / ``/flaky`` key (a copy)."""
        with self._lock:
            return Counter(self._key_hits)

    @property
    def total_requests(self) -> int:
        """Requests received since the last reset."""
        with self._lock:
            return self._total_requests

    @property
    def in_flight(self) -> int:
        """Handlers running right now."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The highest ``in_flight`` seen since the last reset."""
        with self._lock:
            return self._max_in_flight

    @property
    def in_flight_by_host(self) -> Counter[str]:
        """Handlers running right now, per ``Host`` header host name (a copy)."""
        with self._lock:
            return Counter(self._in_flight_by_host)

    @property
    def max_in_flight_by_host(self) -> Counter[str]:
        """The highest in-flight count per host name since the last reset (a copy)."""
        with self._lock:
            return Counter(self._max_in_flight_by_host)

    @property
    def disconnects(self) -> int:
        """Handlers that ended because the client went away (or were cancelled)."""
        with self._lock:
            return self._disconnects

    @property
    def completed(self) -> int:
        """Handlers that returned a response normally.

        A streamed body (``/bytes``, ``/trickle``) can reach the client just
        before its handler returns, so wait for this with :meth:`wait_until`.
        """
        with self._lock:
            return self._completed

    @property
    def connections(self) -> int:
        """Client connections that sent a request since the last reset (by their port)."""
        with self._lock:
            return len(self._client_ports)

    @property
    def request_log(self) -> list[LogEntry]:
        """``(monotonic time, method, path_qs, headers)`` per request (a copy)."""
        with self._lock:
            return list(self._request_log)

    def snapshot(self) -> dict[str, Any]:
        """Every counter at one instant, for assertions and failure messages."""
        with self._lock:
            return {
                "total_requests": self._total_requests,
                "in_flight": self._in_flight,
                "max_in_flight": self._max_in_flight,
                "in_flight_by_host": dict(self._in_flight_by_host),
                "max_in_flight_by_host": dict(self._max_in_flight_by_host),
                "disconnects": self._disconnects,
                "completed": self._completed,
                "hits": dict(self._hits),
                "key_hits": dict(self._key_hits),
            }

    def wait_until(self, predicate: Callable[[FaultServer], bool], timeout: float = 10.0) -> None:
        """Poll ``predicate(self)`` until it is true.

        Raises ``AssertionError`` with the current counters after ``timeout``
        seconds, so tests wait on server state instead of tuned sleeps.
        """
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"condition not met within {timeout}s; server state: {self.snapshot()}"
                )
            time.sleep(0.005)

    # ------------------------------------------------------------------ gates

    def gate(self, name: str) -> Gate:
        """The gate called ``name``, created closed on first use."""
        if self._loop is None:
            raise RuntimeError("FaultServer is not running")
        with self._lock:
            gate = self._gates.get(name)
            if gate is None:
                gate = self._gates[name] = Gate(name, self._loop)
            return gate

    def release(self, name: str) -> None:
        """Open the gate called ``name`` (see :meth:`Gate.release`)."""
        self.gate(name).release()

    def wait_for_arrivals(self, name: str, n: int, timeout: float = 10.0) -> None:
        """Block until ``n`` requests are held at gate ``name`` at once."""
        self.gate(name).wait_for_arrivals(n, timeout)

    # ------------------------------------------------------------------ counting

    @web.middleware
    async def _track(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count the request around its handler (in flight, disconnects, ...)."""
        host = _host_of(request)
        with self._lock:
            generation = self._generation
            self._total_requests += 1
            request[_SEQ_KEY] = self._total_requests
            self._hits[request.path] += 1
            if request.query_string:
                self._hits[request.path_qs] += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            self._in_flight_by_host[host] += 1
            self._max_in_flight_by_host[host] = max(
                self._max_in_flight_by_host[host], self._in_flight_by_host[host]
            )
            self._request_log.append(
                (time.monotonic(), request.method, request.path_qs, _headers_of(request))
            )
            peer = request.transport.get_extra_info("peername") if request.transport else None
            if peer:
                self._client_ports.add(int(peer[1]))
        disconnected = False
        try:
            return await handler(request)
        except asyncio.CancelledError:
            # aiohttp cancels the handler when the client's connection is lost.
            disconnected = True
            raise
        except ConnectionResetError:
            # A write to a client that already left.  Answering with a fresh
            # response lets aiohttp see the dead transport and drop the
            # connection quietly; re-raising would log a spurious error.
            disconnected = True
            return web.Response(status=499)
        finally:
            with self._lock:
                if generation == self._generation:
                    self._in_flight -= 1
                    self._in_flight_by_host[host] -= 1
                    if not self._in_flight_by_host[host]:
                        # Only hosts with requests running show up, so an idle
                        # server compares equal to {}.
                        del self._in_flight_by_host[host]
                    if disconnected:
                        self._disconnects += 1
                    else:
                        self._completed += 1

    def _add_key_hit(self, key: str) -> int:
        """Count one request for ``key``; return how many it has had."""
        with self._lock:
            self._key_hits[key] += 1
            return self._key_hits[key]

    # ------------------------------------------------------------------ endpoints

    def _add_routes(self, app: web.Application) -> None:
        """Register every endpoint for every method ("*")."""
        routes: dict[str, Handler] = {
            "/ok": self._ok,
            "/bytes/{n}": self._bytes,
            "/status/{code}": self._status,
            "/delay/{ms}": self._delay,
            "/slow-headers/{ms}": self._delay,
            "/hang": self._hang,
            "/gate/{name}": self._gate,
            "/redirect/{n}": self._redirect,
            "/redirect-loop": self._redirect_loop,
            "/redirect-to": self._redirect_to,
            "/trickle": self._trickle,
            "/reset": self._reset,
            "/close-early": self._close_early,
            "/malformed": self._malformed,
            "/garbage": self._garbage,
            "/retry-after/{key}": self._retry_after,
            "/flaky/{key}": self._flaky,
            "/headers": self._headers,
            "/echo-method": self._echo_method,
            "/count": self._count,
            "/say": self._say,
        }
        for path, handler in routes.items():
            app.router.add_route("*", path, handler)

    async def _ok(self, request: web.Request) -> web.StreamResponse:
        """200 ``ok``."""
        return _ok_response()

    async def _bytes(self, request: web.Request) -> web.StreamResponse:
        """200 with exactly n bytes, streamed so that n may be gigabytes."""
        n = _int_param(request.match_info["n"], "n", minimum=0)
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if request.query.get("chunked") == "1":
            resp.enable_chunked_encoding()  # no Content-Length: the client must count
        else:
            resp.content_length = n
        await resp.prepare(request)
        if request.method != "HEAD":
            remaining = n
            while remaining > 0:
                size = min(remaining, _CHUNK_SIZE)
                await resp.write(_CHUNK if size == _CHUNK_SIZE else _CHUNK[:size])
                remaining -= size
        await resp.write_eof()
        return resp

    async def _status(self, request: web.Request) -> web.StreamResponse:
        """The status named in the path."""
        code = _int_param(request.match_info["code"], "code", minimum=200, maximum=599)
        return web.Response(status=code, text=f"status {code}\n")

    async def _delay(self, request: web.Request) -> web.StreamResponse:
        """Sleep, then 200 ``ok`` (no byte is sent before the sleep ends)."""
        ms = _int_param(request.match_info["ms"], "ms", minimum=0)
        await asyncio.sleep(ms / 1000)
        return _ok_response()

    async def _hang(self, request: web.Request) -> web.StreamResponse:
        """Never answer; only the client leaving (a cancellation) ends this."""
        await asyncio.Event().wait()
        raise AssertionError("unreachable: nothing sets this event")

    async def _gate(self, request: web.Request) -> web.StreamResponse:
        """Hold until the test releases this gate, then answer ``status`` (default 200)."""
        name = request.match_info["name"]
        status = _int_param(request.query.get("status", "200"), "status", 200, 599)
        await self.gate(name).hold()
        return web.Response(status=status, text=f"gate {name} open\n")

    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        """A chain of exactly n relative 302s ending at /ok."""
        n = _int_param(request.match_info["n"], "n", minimum=0)
        if n == 0:
            return _ok_response()
        target = "/ok" if n == 1 else f"/redirect/{n - 1}"
        return _redirect_response(target)

    async def _redirect_loop(self, request: web.Request) -> web.StreamResponse:
        """A 302 to this very path, forever."""
        return _redirect_response("/redirect-loop")

    async def _redirect_to(self, request: web.Request) -> web.StreamResponse:
        """A redirect (302 unless ``status`` says otherwise) to ``url``."""
        target = request.query.get("url")
        if not target:
            raise web.HTTPBadRequest(text="missing url parameter\n")
        status = _int_param(request.query.get("status", "302"), "status")
        if status not in _REDIRECT_STATUSES:
            raise web.HTTPBadRequest(text=f"status must be one of {sorted(_REDIRECT_STATUSES)}\n")
        return _redirect_response(target, status)

    async def _trickle(self, request: web.Request) -> web.StreamResponse:
        """Headers (with ``status``, default 200) at once, then the body one byte every
        ``interval`` seconds."""
        size = _int_param(request.query.get("bytes", "10"), "bytes", minimum=0)
        interval = _float_param(request.query.get("interval", "0.1"), "interval")
        status = _int_param(request.query.get("status", "200"), "status", 200, 599)
        resp = web.StreamResponse(
            status=status, headers={"Content-Type": "application/octet-stream"}
        )
        resp.content_length = size
        await resp.prepare(request)  # StreamResponse sends the headers right away
        if request.method != "HEAD":
            for _ in range(size):
                await asyncio.sleep(interval)
                await resp.write(b".")
        await resp.write_eof()
        return resp

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        """Promise 100000 bytes, send 4 KiB, then reset the connection."""
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.content_length = 100_000
        await resp.prepare(request)
        await resp.write(_CHUNK[:4096])
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # Linger 0 turns the close into an RST, not an orderly FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        return resp

    async def _close_early(self, request: web.Request) -> web.StreamResponse:
        """Promise 1000 bytes, send 10, then close the connection (FIN)."""
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.content_length = 1000
        await resp.prepare(request)
        await resp.write(b"0123456789")
        if request.transport is not None:
            request.transport.close()
        return resp

    async def _malformed(self, request: web.Request) -> web.StreamResponse:
        """A raw response whose status line is not HTTP, then close."""
        return _raw_and_close(request, b"HTTP/1.1 abc def\r\n\r\n")

    async def _garbage(self, request: web.Request) -> web.StreamResponse:
        """Raw bytes that are not HTTP at all, then close."""
        return _raw_and_close(request, b"this is not http\r\n\r\n")

    async def _retry_after(self, request: web.Request) -> web.StreamResponse:
        """503 with ``Retry-After`` for the first n hits of the key, then 200."""
        n = _int_param(request.query.get("n", "1"), "n", minimum=0)
        after = request.query.get("after", "0")
        if self._add_key_hit(request.match_info["key"]) <= n:
            return web.Response(
                status=503, text="try again later\n", headers={"Retry-After": after}
            )
        return _ok_response()

    async def _flaky(self, request: web.Request) -> web.StreamResponse:
        """``status`` for the first n hits of the key, then 200."""
        n = _int_param(request.query.get("n", "1"), "n", minimum=0)
        status = _int_param(request.query.get("status", "503"), "status", 200, 599)
        if self._add_key_hit(request.match_info["key"]) <= n:
            return web.Response(status=status, text=f"flaky {status}\n")
        return _ok_response()

    async def _headers(self, request: web.Request) -> web.StreamResponse:
        """200 with the request headers as a JSON object."""
        return web.json_response(_headers_of(request))

    async def _echo_method(self, request: web.Request) -> web.StreamResponse:
        """200 with the request method as the body."""
        return web.Response(text=request.method)

    async def _say(self, request: web.Request) -> web.StreamResponse:
        """200 with the given text, content type and headers."""
        headers = dict(value.split(":", 1) for value in request.query.getall("header", []))
        return web.Response(
            status=_int_param(request.query.get("status", "200"), "status", minimum=200),
            body=request.query.get("text", "").encode("utf-8"),
            content_type=request.query.get("type", "text/plain"),
            headers=headers,
        )

    async def _count(self, request: web.Request) -> web.StreamResponse:
        """200 with this request's number since the last reset."""
        return web.Response(text=str(request[_SEQ_KEY]))


# ---------------------------------------------------------------------- helpers


def _with_slash(path: str) -> str:
    """``path`` with exactly one leading slash."""
    return path if path.startswith("/") else "/" + path


def _host_of(request: web.Request) -> str:
    """The host name of the ``Host`` header, without the port, lower-cased."""
    try:
        host = request.url.host
    except ValueError:  # an unparsable Host header
        host = None
    return (host or request.host).lower()


def _headers_of(request: web.Request) -> dict[str, str]:
    """The request headers; a repeated header's values are joined by ``, ``."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _int_param(raw: str, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Parse an integer parameter, answering 400 when it is bad."""
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be an integer\n") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise web.HTTPBadRequest(text=f"{name} out of range\n")
    return value


def _float_param(raw: str, name: str) -> float:
    """Parse a non-negative float parameter, answering 400 when it is bad."""
    try:
        value = float(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be a number\n") from None
    if not value >= 0:  # also rejects NaN
        raise web.HTTPBadRequest(text=f"{name} must be >= 0\n")
    return value


def _ok_response() -> web.Response:
    """The plain ``ok`` answer shared by several endpoints."""
    return web.Response(body=_OK_BODY, content_type="text/plain")


def _redirect_response(location: str, status: int = 302) -> web.Response:
    """A redirect with a short body, ``Location`` passed through verbatim."""
    return web.Response(status=status, text="redirect\n", headers={"Location": location})


def _raw_and_close(request: web.Request, data: bytes) -> web.StreamResponse:
    """Write ``data`` straight to the socket, bypassing HTTP framing, and close.

    The returned response is never sent: aiohttp finds the transport closing
    when it tries, and drops the connection without logging an error.
    """
    transport = request.transport
    if transport is not None:
        transport.write(data)
        transport.close()  # close() flushes the buffer first, unlike abort()
    return web.Response(status=500)
