"""``--workers N``: spread the fetching over N processes, with every promise kept.

One aiohttp process tops out at one core. With workers, this process (the coordinator) keeps
everything that decides *what* happens: it reads the input, runs the mode's policy, holds the
``--per-host`` slots, claims ``--save`` paths and reports results; it also fetches a share of
the jobs itself, and N-1 worker processes (:mod:`fetchall.transport.worker`) fetch the rest,
talking over :mod:`fetchall.transport.wire`. So results, their order and the exit status are
those of a one-process run:

* ``--limit``: the engine admits at most ``limit`` jobs (the same rule as one process), and
  each fetcher bounds its requests by its share of ``limit``
  (:func:`fetchall.transport.limits.shares_of`), so that retries waiting out a backoff still
  hold no request slot.
* ``--per-host``: the coordinator holds a host slot for each job it dispatches.
* ``--rate``: the fetchers take turns on one grid of start times on the system-wide monotonic
  clock (:class:`fetchall.transport.pacer.Pacer`), so the bound holds across processes with no
  message.
* Cancellation (``all``, ``first``, ``--max-failures``, a deadline, a signal): the coordinator's
  task for the job is cancelled like any other, and on its way out it tells the worker, which
  cancels its fetch and so closes the connection at once.
* A worker that dies, or sends nothing for :data:`LOST_AFTER_S`
  (:mod:`fetchall.transport.worker_handle`), is killed and gets no more jobs; each job it held
  ends as ``worker_lost``, never tried again. The pool goes on with the processes left: their
  shares of ``--limit`` (and of the ``--rate`` grid) stay what they were, so the run ends with
  fewer requests in flight rather than with more in a process than its connection pool holds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import time
from pathlib import PurePosixPath
from types import TracebackType
from typing import Self

from fetchall.models import ErrorKind, FetchError, Job, Result, result_for
from fetchall.options import Options
from fetchall.saving import BodyStore
from fetchall.transport.fetcher import Fetcher
from fetchall.transport.limits import Share, host_slots_for, shares_of
from fetchall.transport.wire import Cancel, Setup, Start
from fetchall.transport.worker import COMMAND
from fetchall.transport.worker_handle import WorkerHandle
from fetchall.urls import url_to_fetch

LOST_AFTER_S = 10.0
"""A worker that sends nothing for this long is lost. Not an option: tests lower it, for a
pool with ``WorkerPool(lost_after_s=...)`` or, for a whole ``fetchall`` process, by setting
this before the command runs."""
HEARTBEAT_S = 0.5
"""How often a worker sends a sign of life (less often than a fifth of the silence allowed)."""


class _Here:
    """The coordinator's own share of the fetching, with a :class:`Fetcher` of its own."""

    def __init__(self, fetcher: Fetcher, limit: int) -> None:
        self.fetcher = fetcher
        self.limit = limit
        self.load = 0


class WorkerPool:
    """Fetches jobs in ``count`` processes, this one included; used by the engine in place
    of a :class:`Fetcher`.

    This process fetches a share itself: a job fetched here needs no message and no pickling,
    and ``--workers 2`` starts one interpreter, not two (each costs about 0.17 s of CPU).
    """

    def __init__(
        self,
        options: Options,
        store: BodyStore | None,
        count: int,
        *,
        lost_after_s: float | None = None,
    ) -> None:
        self._options = options
        self._store = store
        self._count = count
        self._lost_after_s = LOST_AFTER_S if lost_after_s is None else lost_after_s
        self._hosts = host_slots_for(options.per_host)
        self._workers: list[WorkerHandle] = []
        self._ready: list[WorkerHandle] = []
        """The workers not lost: only they get jobs."""
        self._here: _Here | None = None
        self._ids = itertools.count()
        self._group = asyncio.TaskGroup()

    async def __aenter__(self) -> Self:
        await self._group.__aenter__()
        started = False
        try:
            own, *others = shares_of(self._options, self._count)
            for share in others:
                await self._start_worker(share)
            fetcher = Fetcher(self._options, self._store, share=own)
            await fetcher.__aenter__()
            self._here = _Here(fetcher, own.limit)
            started = True
        finally:
            if not started:  # no worker may outlive a failed (or cancelled) start
                await self._stop_workers()
                await self._group.__aexit__(*sys.exc_info())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._here is not None, "entered: __aenter__ set it up"
        try:
            await self._stop_workers()
        finally:
            await self._here.fetcher.__aexit__(exc_type, exc, tb)
            await self._group.__aexit__(exc_type, exc, tb)

    async def _start_worker(self, share: Share) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            COMMAND,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        heartbeat_s = min(HEARTBEAT_S, self._lost_after_s / 5)
        worker = WorkerHandle(
            process,
            share.limit,
            lost_after_s=self._lost_after_s,
            heartbeat_s=heartbeat_s,
            on_lost=self._ready.remove,
        )
        self._workers.append(worker)
        self._ready.append(worker)
        store = self._store
        worker.outbox.put(
            Setup(
                self._options,
                share,
                None if store is None else store.root,
                None if store is None else store.directory,
                logging.getLogger("fetchall").getEffectiveLevel(),
                heartbeat_s,
            )
        )
        self._group.create_task(worker.live())

    async def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.stop()
        for worker in self._workers:
            # Bounded: a worker that does not end in time is killed (WorkerHandle.stop).
            await worker.process.wait()

    async def fetch(self, job: Job) -> Result:
        """Fetch ``job`` here or in the least busy worker; cancelling this cancels it there
        too."""
        if self._store is None and self._hosts is None:
            # Nothing here needs the URL parsed: the fetcher parses it (and reports it invalid).
            return await self._dispatch(job, None)
        url = url_to_fetch(job)
        if isinstance(url, Result):
            return url
        save_as = self._store.claim(url) if self._store is not None else None
        if self._hosts is None:
            return await self._dispatch(job, save_as)
        async with self._hosts.hold(url.host or ""):
            return await self._dispatch(job, save_as)

    async def _dispatch(self, job: Job, save_as: PurePosixPath | None) -> Result:
        here = self._here
        assert here is not None, "use WorkerPool as an async context manager"
        # Here first when as busy as the least busy worker: that costs no message.
        worker = min(self._ready, key=lambda w: w.load / w.limit, default=None)
        if worker is None or here.load / here.limit <= worker.load / worker.limit:
            here.load += 1
            try:
                return await here.fetcher.fetch(job, save_as)
            finally:
                here.load -= 1
        job_id = next(self._ids)
        future: asyncio.Future[Result | None] = asyncio.get_running_loop().create_future()
        worker.waiting[job_id] = future
        worker.load += 1
        started = time.monotonic()
        worker.outbox.put(Start(job_id, job, save_as))
        try:
            result = await future
        except asyncio.CancelledError:
            worker.outbox.put(Cancel(job_id))
            raise
        finally:
            worker.load -= 1
            worker.waiting.pop(job_id, None)
        return result if result is not None else _lost_with(worker, job, started)


def _lost_with(worker: WorkerHandle, job: Job, started: float) -> Result:
    """The result of ``job``, held by ``worker`` when it was lost.

    The tries the worker made are not known here: ``attempts`` counts the one lost with it.
    """
    assert worker.lost_because is not None, "a job ends with None only when its worker is lost"
    return result_for(
        job,
        error=FetchError(ErrorKind.WORKER_LOST, worker.lost_because),
        attempts=1,
        elapsed_ms=round((time.monotonic() - started) * 1000),
    )
