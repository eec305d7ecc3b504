"""A transport with scripted outcomes and no sockets, for tests of the engine alone.

Like httpx's ``MockTransport``: pass ``FakeTransport().factory`` as ``Run(..., transport=...)``.
A job's URL path says what its fetch does:

- ``/ok/...``: succeeds at once (after one yield to the loop);
- ``/fail/...``: fails at once, with kind ``connect``;
- ``/hang/...``: never ends, until it is cancelled;
- ``/gate/NAME/ok/...`` or ``/gate/NAME/fail/...``: waits until :meth:`FakeTransport.release`
  opens the gate ``NAME``, then succeeds or fails.

The transport counts what a server would: fetches started (in order), in flight now and at
most, and cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from fetchall.engine.jobstream import JobSource
from fetchall.engine.run import Run
from fetchall.models import ErrorKind, FetchError, Job, Mode, Result, Summary, result_for
from fetchall.options import Options
from fetchall.saving import BodyStore

WAIT = 20.0
"""Seconds a test waits for the engine to reach a state: generous, never tuned to a race."""


def url(path: str) -> str:
    """A URL the fake transport answers as ``path`` says (see the module's docstring)."""
    return f"http://fake.test{path}"


class FakeTransport:
    """A :class:`fetchall.transport.Transport` that answers each job as its URL's path says."""

    def __init__(self) -> None:
        self.started: list[str] = []
        """The URL of each fetch, in the order they started."""
        self.cancelled: list[str] = []
        """The URL of each fetch that was cancelled."""
        self.in_flight = 0
        self.max_in_flight = 0
        self.entered = 0
        self.exited = 0
        self._gates: dict[str, asyncio.Event] = {}
        self._changed = asyncio.Event()

    def factory(self, options: Options, store: BodyStore | None) -> FakeTransport:
        """The :data:`fetchall.engine.run.TransportFactory` that hands out this transport."""
        return self

    async def __aenter__(self) -> FakeTransport:
        self.entered += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.exited += 1

    def release(self, gate: str) -> None:
        """Let every fetch waiting at ``gate`` end, and every later one pass at once."""
        self._gate(gate).set()

    async def wait_until(self, condition: Callable[[FakeTransport], bool]) -> None:
        """Return once ``condition(self)`` holds; fail after :data:`WAIT` seconds."""
        async with asyncio.timeout(WAIT):
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

    async def fetch(self, job: Job) -> Result:
        parts = urlsplit(job.url).path.strip("/").split("/")
        self.started.append(job.url)
        self._count(+1)
        try:
            if parts[0] == "hang":
                await asyncio.Event().wait()
            if parts[0] == "gate":
                await self._gate(parts[1]).wait()
                parts = parts[2:]
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            self.cancelled.append(job.url)
            raise
        finally:
            self._count(-1)
        if parts[0] == "fail":
            return result_for(job, error=FetchError(ErrorKind.CONNECT, "refused"), attempts=1)
        assert parts[0] == "ok", job.url
        return result_for(job, attempts=1)

    def _gate(self, name: str) -> asyncio.Event:
        return self._gates.setdefault(name, asyncio.Event())

    def _count(self, change: int) -> None:
        self.in_flight += change
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._changed.set()


class Recorded:
    """A run against a fresh fake transport, and every result it emitted, in order."""

    def __init__(self, mode: Mode, **options: Any) -> None:
        self.transport = FakeTransport()
        self.results: list[Result] = []
        self.run = Run(
            mode, Options(**options), self.results.append, transport=self.transport.factory
        )

    async def execute(self, jobs: JobSource) -> Summary:
        return await self.run.execute(jobs)

    def kinds(self) -> list[ErrorKind | None]:
        """Each result's error kind (None for a success), by input order."""
        ordered = sorted(self.results, key=lambda r: r.index)
        return [r.error.kind if r.error else None for r in ordered]


def counts(summary: Summary) -> tuple[int, int, int]:
    return summary.ok, summary.failed, summary.cancelled


class CountedSource:
    """An async source of URLs that counts how many it handed over."""

    def __init__(self, urls: Iterable[str]) -> None:
        self.urls = list(urls)
        self.yielded = 0

    async def __aiter__(self) -> AsyncIterator[str]:
        for item in self.urls:
            self.yielded += 1
            yield item
