"""The scheduler: jobs in, results out, every task inside one TaskGroup.

A run stops early through its :class:`~fetchall.engine.stopping.Stopper`: the group then
cancels every fetch, and every task waiting for its next job. A fetch that is cancelled reports
itself (as ``cancelled``, or as a ``deadline`` failure) before re-raising ``CancelledError``, so
no job that was started goes unreported.

Memory stays O(limit): at most ``limit`` tasks fetch, each taking its next job from the input
only once it is free.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING

from fetchall.engine.jobstream import JobSource, job_stream, with_defaults
from fetchall.engine.policies import (
    AllOrNothingPolicy,
    Policy,
    ResultCallback,
    streaming_policy_for,
)
from fetchall.engine.stopping import RunStopped, Stopper, StopReason
from fetchall.models import Job, Mode, Summary
from fetchall.options import Options
from fetchall.urls import invalid_result

if TYPE_CHECKING:
    from fetchall.saving import BodyStore
    from fetchall.transport import Transport

TransportFactory = Callable[[Options, "BodyStore | None"], "Transport"]
"""Builds the transport of a run from its options and its body store (None without --save)."""

__all__ = ["ResultCallback", "Run", "StopReason", "Stopper", "TransportFactory"]


class Run:
    """One run of the engine. Build it, optionally keep its :attr:`stopper` to stop it from
    outside (signals, a closed output), then ``await run.execute(jobs)``.

    ``transport`` builds what fetches the jobs; by default
    :func:`fetchall.transport.transport_for`, which the options decide.
    """

    def __init__(
        self,
        mode: Mode,
        options: Options,
        emit: ResultCallback,
        *,
        transport: TransportFactory | None = None,
    ) -> None:
        self.mode = mode
        self.options = options
        self.stopper = Stopper()
        self._emit = emit
        self._transport = transport
        self._store: BodyStore | None = None
        if options.save_dir is not None:
            from fetchall.saving import BodyStore  # noqa: PLC0415 (start-up: only when saving)

            self._store = BodyStore(options.save_dir, staged=mode is Mode.ALL)

    async def execute(
        self, jobs: JobSource, *, read_from_start: Callable[[], Iterable[Job]] | None = None
    ) -> Summary:
        """Fetch ``jobs`` by the mode's rule, emitting results; return the run's summary.

        A run that stops early reads no more jobs, so those not yet read are not reported,
        except the ones ``read_from_start`` returns then (the URLs given as arguments, which
        count as read from the start): each is reported as the stop's reason says.
        """
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        deadline = None
        if self.options.deadline is not None:
            deadline = loop.call_later(
                self.options.deadline, self.stopper.stop, StopReason.DEADLINE
            )
        try:
            jobs_read = job_stream(jobs, defaults=self.options.expect)
            policy = await self._run(jobs_read, read_from_start or _nothing)
        finally:
            if deadline is not None:
                deadline.cancel()
        return Summary(
            mode=self.mode,
            ok=policy.counts.ok,
            failed=policy.counts.failed,
            cancelled=policy.counts.cancelled,
            elapsed_s=time.monotonic() - started,
        )

    async def _run(
        self, jobs: AsyncIterator[Job], read_from_start: Callable[[], Iterable[Job]]
    ) -> Policy:
        if self.mode is not Mode.ALL:
            policy = streaming_policy_for(
                self.mode,
                self._emit,
                self.stopper,
                max_failures=self.options.max_failures,
                stagger=self.options.stagger,
            )
            await self._schedule(jobs, policy)
            if self.stopper.reason is not None:
                for job in self._counted_as_read(read_from_start):
                    policy.interrupted(job, self.stopper.reason)
            policy.close()
            return policy
        # All-or-nothing reads and checks the whole input before sending anything.
        listed: list[Job] = []
        await self.stopper.unless_stopped(_read_into(listed, jobs))
        if self.stopper.stopped:
            listed += self._counted_as_read(read_from_start)
        transaction = AllOrNothingPolicy(self._emit, self.stopper, listed)
        invalid = [result for job in listed if (result := invalid_result(job)) is not None]
        if self.stopper.stopped:
            pass  # stopped while reading: every job read is reported cancelled
        elif invalid:
            self.stopper.stop(StopReason.INVALID_INPUT)
            for result in invalid:
                transaction.finished(result)
        else:
            try:
                await self._schedule(job_stream(listed), transaction)
            finally:
                if self._store is not None:
                    self._store.finish(keep=transaction.committed)
        transaction.close()
        return transaction

    def _counted_as_read(self, read_from_start: Callable[[], Iterable[Job]]) -> list[Job]:
        return [with_defaults(job, self.options.expect) for job in read_from_start()]

    def _open_transport(self) -> Transport:
        if self._transport is not None:
            return self._transport(self.options, self._store)
        from fetchall.transport import transport_for  # noqa: PLC0415 (loads aiohttp)

        return transport_for(self.options, self._store)

    async def _schedule(self, jobs: AsyncIterator[Job], policy: Policy) -> None:
        # A job waiting out a retry backoff holds no request slot (the transport bounds
        # requests itself then), so when jobs may be retried, twice as many jobs may be alive as
        # requests in flight.
        limit = self.options.limit * (2 if self.options.may_retry else 1)
        stopper = self.stopper
        # Each slot is a long-lived task that takes its next job only once it is free, so no
        # job is read before it can start and no task is made per job. Tasks start one by
        # one, each when the one before it took a job: a short input starts as many tasks as
        # it has jobs.
        taking = asyncio.Lock()
        tasks = 0
        exhausted = False
        started_any = False
        pending: Job | None = None

        async def next_job() -> Job | None:
            nonlocal tasks, exhausted, started_any, pending
            async with taking:
                if exhausted or stopper.reason is not None:
                    return None
                if started_any and policy.pauses_between_starts:
                    await policy.before_next_start()
                job = await anext(jobs, None)
                if job is None:
                    exhausted = True
                    return None
                if stopper.reason is not None:
                    # Read in the instant the run stopped: reported like the running jobs.
                    pending = job
                    return None
                started_any = True
                policy.started(job)
                if tasks < limit:
                    tasks += 1
                    group.create_task(fetch_jobs())
                return job

        async def fetch_jobs() -> None:
            while (job := await next_job()) is not None:
                try:
                    result = await transport.fetch(job)
                except asyncio.CancelledError:
                    policy.interrupted(job, stopper.reason or StopReason.INTERRUPTED)
                    raise
                policy.finished(result)
                # Let every response that is ready be handled before sending the next
                # request: the requests then leave together, and a local server woken once
                # takes them all (sent one by one, each woke it anew: about twice the system
                # time on 20,000 requests).
                await asyncio.sleep(0)

        async with self._open_transport() as transport:
            try:
                async with asyncio.TaskGroup() as outer:
                    watcher = outer.create_task(stopper.raise_when_stopped())
                    async with asyncio.TaskGroup() as group:
                        tasks = 1
                        group.create_task(fetch_jobs())
                    watcher.cancel()
            except* RunStopped:
                pass
            if pending is not None and stopper.reason is not None:
                policy.interrupted(pending, stopper.reason)
            aclose = getattr(jobs, "aclose", None)
            if aclose is not None:
                await aclose()


async def _read_into(listed: list[Job], jobs: AsyncIterator[Job]) -> None:
    async for job in jobs:
        listed.append(job)


def _nothing() -> list[Job]:
    return []
