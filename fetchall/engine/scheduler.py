"""The slots of a run: long-lived tasks that fetch jobs, every one inside one TaskGroup.

Each slot takes its next job from the input only once it is free, so no job is read before it
can start and no task is made per job; memory stays O(limit). Slots start one by one, each when
the one before it took a job: a short input starts as many tasks as it has jobs.

A run stops early through its :class:`~fetchall.engine.stopping.Stopper`: the group then
cancels every fetch, and every slot waiting for its next job. A fetch that is cancelled reports
itself (as ``cancelled``, or as a ``deadline`` failure) before re-raising ``CancelledError``, so
no job that was started goes unreported.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from fetchall.engine.stopping import RunStopped, Stopper, StopReason
from fetchall.transport import TRIES, Tries

if TYPE_CHECKING:
    from fetchall.engine.policies import Policy
    from fetchall.models import Job
    from fetchall.transport import Transport


class Slots:
    """At most ``limit`` slots fetching ``jobs`` through ``transport``, each outcome told to
    ``policy``; :meth:`run` returns once the input is done or the run is stopped."""

    def __init__(
        self,
        jobs: AsyncIterator[Job],
        policy: Policy,
        stopper: Stopper,
        transport: Transport,
        limit: int,
    ) -> None:
        self._jobs = jobs
        self._policy = policy
        self._stopper = stopper
        self._transport = transport
        self._limit = limit
        self._group = asyncio.TaskGroup()
        self._taking = asyncio.Lock()
        """Held while a slot takes its next job: jobs are read one at a time, in order."""
        self._slots = 0
        self._exhausted = False
        self._started_any = False
        self._read_as_stopped: Job | None = None
        """A job read in the instant the run stopped: reported like the running ones."""

    async def run(self) -> None:
        """Fetch every job, or stop when the run is told to; every slot has ended on return."""
        try:
            async with asyncio.TaskGroup() as outer:
                watcher = outer.create_task(self._stopper.raise_when_stopped())
                async with self._group:
                    self._start_slot()
                watcher.cancel()
        except* RunStopped:
            pass
        if self._read_as_stopped is not None and self._stopper.reason is not None:
            self._policy.interrupted(self._read_as_stopped, self._stopper.reason)

    def _start_slot(self) -> None:
        self._slots += 1
        self._group.create_task(self._fetch_jobs())

    async def _fetch_jobs(self) -> None:
        policy, transport = self._policy, self._transport
        # This slot's own (a task has its own context): written only by a fetch cancelled.
        tries = Tries()
        TRIES.set(tries)
        while (job := await self._next_job()) is not None:
            try:
                result = await transport.fetch(job)
            except asyncio.CancelledError:
                reason = self._stopper.reason or StopReason.INTERRUPTED
                policy.interrupted(
                    job, reason, attempts=tries.attempts, elapsed_ms=tries.elapsed_ms
                )
                raise
            policy.finished(job, result)
            # Let every response that is ready be handled before sending the next
            # request: the requests then leave together, and a local server woken once
            # takes them all (sent one by one, each woke it anew: about twice the system
            # time on 20,000 requests).
            await asyncio.sleep(0)

    async def _next_job(self) -> Job | None:
        async with self._taking:
            if self._exhausted or self._stopper.reason is not None:
                return None
            stagger = self._policy.stagger
            if stagger is not None and self._started_any:
                await stagger.wait()
            job = await anext(self._jobs, None)
            if job is None:
                self._exhausted = True
                return None
            if self._stopper.reason is not None:
                self._read_as_stopped = job
                return None
            self._started_any = True
            if stagger is not None:
                stagger.started()
            if self._slots < self._limit:
                self._start_slot()
            return job
