"""The scheduler: jobs in, results out, every task inside one TaskGroup.

How a run stops early. Every reason to stop (a mode's rule, ``--max-failures``, ``--deadline``,
a signal, a closed stdout) goes through :meth:`Stopper.stop`, which records the first reason
and wakes a watcher task. The watcher raises a private :class:`_Stop` inside the group; the
group then cancels every fetch and the feeding loop, and the ``except* _Stop`` around it absorbs
the sentinel. This is the documented way to end a TaskGroup before Python 3.15 adds
``TaskGroup.cancel()``. A fetch that is cancelled reports itself (as ``cancelled``, or as a
``deadline`` failure) before re-raising ``CancelledError``, so no job that was started goes
unreported.

Memory stays O(limit): the feeding loop takes the next job from the input only once a slot
is free, and creates its task then.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from fetchall.fetcher import Fetcher, invalid_result
from fetchall.models import ErrorKind, FetchError, Job, Mode, Result, Summary, failed_result
from fetchall.options import Options

if TYPE_CHECKING:
    from fetchall.saving import BodyStore
    from fetchall.workers import WorkerPool

ResultCallback = Callable[[Result], None]
T = TypeVar("T")


class StopReason(enum.Enum):
    """Why a run ended before its input did; the value is the message cancelled jobs carry."""

    SIBLING_FAILED = "a sibling failed"
    WINNER_FOUND = "another job succeeded first"
    MAX_FAILURES = "--max-failures reached"
    DEADLINE = "--deadline reached"
    INTERRUPTED = "interrupted"
    OUTPUT_CLOSED = "output closed"
    INVALID_INPUT = "not started: the input has invalid lines"


class _Stop(Exception):
    """Private sentinel that ends the run's TaskGroup; never escapes this module."""


class Stopper:
    """Ends a run from anywhere: a job's outcome, a timer, a signal handler, an output error."""

    def __init__(self) -> None:
        self.reason: StopReason | None = None
        self._event = asyncio.Event()

    def stop(self, reason: StopReason) -> None:
        """Stop the run; the first reason given is the one reported."""
        if self.reason is None:
            self.reason = reason
        self._event.set()

    @property
    def stopped(self) -> bool:
        """Whether the run has been told to stop."""
        return self.reason is not None

    async def watch(self) -> None:
        """Raise the sentinel inside the group once the run is told to stop."""
        await self._event.wait()
        raise _Stop

    async def guard(self, awaitable: Awaitable[T]) -> T | None:
        """The value of ``awaitable``, or None if the run is stopped before it has one."""
        value: T | None = None
        try:
            async with asyncio.TaskGroup() as group:
                watcher = group.create_task(self.watch())
                value = await awaitable
                watcher.cancel()
        except* _Stop:
            value = None
        return value


class Policy(Protocol):
    """What a mode does with each outcome, and how it ends (one per :class:`Mode`)."""

    counts: _Counts
    """What was reported so far: ok, failed and cancelled."""

    def started(self, job: Job) -> None:
        """``job`` has been read and is about to start."""

    def finished(self, result: Result) -> None:
        """``job`` ended on its own, well or badly."""

    def interrupted(self, job: Job, reason: StopReason) -> None:
        """``job`` was running or waiting when the run stopped."""

    def close(self) -> None:
        """The run is over: report whatever is still held back."""


def stopped_result(job: Job, reason: StopReason) -> Result:
    """The result of a job stopped by ``reason``: a ``deadline`` failure or ``cancelled``."""
    kind = ErrorKind.DEADLINE if reason is StopReason.DEADLINE else ErrorKind.CANCELLED
    return failed_result(job, FetchError(kind, reason.value))


class _Counts:
    """Running totals that every policy keeps."""

    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self.cancelled = 0

    def add(self, result: Result) -> None:
        if result.ok:
            self.ok += 1
        elif result.cancelled:
            self.cancelled += 1
        else:
            self.failed += 1


class _StreamingPolicy:
    """What ``independent`` and ``first`` share: each result is emitted as it arrives."""

    def __init__(self, emit: ResultCallback, stopper: Stopper) -> None:
        self.counts = _Counts()
        self._emit = emit
        self._stopper = stopper

    def started(self, job: Job) -> None:
        pass

    def interrupted(self, job: Job, reason: StopReason) -> None:
        self._report(stopped_result(job, reason))

    def close(self) -> None:
        pass

    def _report(self, result: Result) -> None:
        self.counts.add(result)
        self._emit(result)


class IndependentPolicy(_StreamingPolicy):
    """Every job counts on its own; results are emitted as they complete."""

    def __init__(self, emit: ResultCallback, stopper: Stopper, max_failures: int | None) -> None:
        super().__init__(emit, stopper)
        self._max_failures = max_failures

    def finished(self, result: Result) -> None:
        self._report(result)
        if self._max_failures is not None and self.counts.failed >= self._max_failures:
            self._stopper.stop(StopReason.MAX_FAILURES)


class FirstSuccessPolicy(_StreamingPolicy):
    """The first success stops the run; a success after it lost the race and is ``cancelled``.

    Results are emitted as they come, so memory stays O(limit); the formatters decide which
    of them a user sees (in ``text`` and ``jsonl``, only the winner).
    """

    def __init__(self, emit: ResultCallback, stopper: Stopper) -> None:
        super().__init__(emit, stopper)
        self.failure_seen = asyncio.Event()
        """Set when the racer started last has failed: the next one need not wait."""

    def started(self, job: Job) -> None:
        self.failure_seen.clear()

    def finished(self, result: Result) -> None:
        if self._stopper.stopped:
            # Ended in the instant between the win and the cancellation: it lost the race.
            reason = self._stopper.reason or StopReason.WINNER_FOUND
            result = stopped_result(_job_of(result), reason)
        elif result.ok:
            self._stopper.stop(StopReason.WINNER_FOUND)
        else:
            self.failure_seen.set()
        self._report(result)


class AllOrNothingPolicy:
    """Results are held until the end; one failure turns every other job into ``cancelled``."""

    def __init__(self, emit: ResultCallback, stopper: Stopper, jobs: list[Job]) -> None:
        self.counts = _Counts()
        self._emit = emit
        self._stopper = stopper
        self._jobs = jobs
        self._results: dict[int, Result] = {}

    def started(self, job: Job) -> None:
        pass

    def finished(self, result: Result) -> None:
        self._results[result.index] = result
        if not result.ok:
            self._stopper.stop(StopReason.SIBLING_FAILED)

    def interrupted(self, job: Job, reason: StopReason) -> None:
        self._results[job.index] = stopped_result(job, reason)

    def close(self) -> None:
        reason = self._stopper.reason
        for job in self._jobs:
            result = self._results.get(job.index)
            if reason is None:
                assert result is not None, "a finished run has a result for every job"
            elif result is None:
                result = stopped_result(job, reason)  # never started
            elif result.ok:
                # An aborted transaction: completed results are discarded, not reported.
                shown = StopReason.SIBLING_FAILED if reason is StopReason.DEADLINE else reason
                result = stopped_result(job, shown)
            self.counts.add(result)
            self._emit(result)

    @property
    def committed(self) -> bool:
        """Whether every job succeeded, so that saved bodies may be kept."""
        if self._stopper.reason is not None or len(self._results) != len(self._jobs):
            return False
        return all(result.ok for result in self._results.values())


def _job_of(result: Result) -> Job:
    return Job(result.index, result.url, result.source)


async def _aiter(jobs: Iterable[Job] | AsyncIterable[Job]) -> AsyncIterator[Job]:
    if isinstance(jobs, AsyncIterable):
        async for job in jobs:
            yield job
    else:
        for job in jobs:
            yield job


class Run:
    """One run of the engine. Build it, optionally keep its :attr:`stopper` to stop it from
    outside (signals, a closed output), then ``await run.execute(jobs)``."""

    def __init__(
        self,
        mode: Mode,
        options: Options,
        emit: ResultCallback,
    ) -> None:
        self.mode = mode
        self.options = options
        self.stopper = Stopper()
        self._emit = emit
        self._store: BodyStore | None = None
        if options.save_dir is not None:
            from fetchall.saving import BodyStore  # noqa: PLC0415 (start-up: only when saving)

            self._store = BodyStore(options.save_dir, staged=mode is Mode.ALL)

    async def execute(self, jobs: Iterable[Job] | AsyncIterable[Job]) -> Summary:
        """Fetch ``jobs`` by the mode's rule, emitting results; return the run's summary."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        deadline = None
        if self.options.deadline is not None:
            deadline = loop.call_later(
                self.options.deadline, self.stopper.stop, StopReason.DEADLINE
            )
        try:
            policy = await self._run(_aiter(jobs))
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

    async def _run(self, jobs: AsyncIterator[Job]) -> Policy:
        policy: Policy
        match self.mode:
            case Mode.INDEPENDENT:
                policy = IndependentPolicy(self._emit, self.stopper, self.options.max_failures)
                await self._schedule(jobs, policy)
            case Mode.FIRST:
                policy = FirstSuccessPolicy(self._emit, self.stopper)
                await self._schedule(jobs, policy, stagger=self.options.stagger)
            case Mode.ALL:
                # All-or-nothing reads and checks the whole input before sending anything.
                listed = await self._read_all(jobs)
                policy = transaction = AllOrNothingPolicy(self._emit, self.stopper, listed)
                invalid = [r for job in listed if (r := invalid_result(job)) is not None]
                if self.stopper.stopped:
                    pass  # stopped while reading: every job read is reported cancelled
                elif invalid:
                    self.stopper.stop(StopReason.INVALID_INPUT)
                    for result in invalid:
                        policy.finished(result)
                else:
                    try:
                        await self._schedule(_aiter(listed), policy)
                    finally:
                        if self._store is not None:
                            self._store.finish(keep=transaction.committed)
        policy.close()
        return policy

    async def _read_all(self, jobs: AsyncIterator[Job]) -> list[Job]:
        """Every job of the input, unless the run is stopped first (a signal, a deadline)."""
        listed: list[Job] = []

        async def read() -> None:
            async for job in jobs:
                listed.append(job)

        await self.stopper.guard(read())
        return listed

    async def _schedule(
        self,
        jobs: AsyncIterator[Job],
        policy: Policy,
        *,
        stagger: float = 0.0,
    ) -> None:
        # A job waiting out a retry backoff holds no request slot (the fetcher's semaphore),
        # so with retries on, twice as many jobs may be alive as requests in flight.
        limit = self.options.limit * (2 if self.options.retries else 1)
        slots = asyncio.Semaphore(limit)
        stopper = self.stopper
        pending: Job | None = None

        async def fetch(job: Job) -> None:
            try:
                result = await fetcher.fetch(job)
            except asyncio.CancelledError:
                policy.interrupted(job, stopper.reason or StopReason.INTERRUPTED)
                raise
            finally:
                slots.release()
            policy.finished(result)

        fetcher: Fetcher | WorkerPool
        if self.options.workers > 1:
            from fetchall.workers import WorkerPool  # noqa: PLC0415 (start-up: only when used)

            fetcher = WorkerPool(self.options, self._store, self.options.workers)
        else:
            fetcher = Fetcher(self.options, self._store)
        async with fetcher:
            try:
                async with asyncio.TaskGroup() as outer:
                    watcher = outer.create_task(stopper.watch())
                    async with asyncio.TaskGroup() as group:
                        while True:
                            # The slot first, then the job: no job is read before it can start.
                            await slots.acquire()
                            if stopper.stopped:
                                break
                            job = await anext(jobs, None)
                            if job is None:
                                break
                            if stopper.stopped:
                                pending = job
                                break
                            policy.started(job)
                            group.create_task(fetch(job))
                            if stagger and isinstance(policy, FirstSuccessPolicy):
                                await _stagger(stagger, policy.failure_seen)
                    watcher.cancel()
            except* _Stop:
                pass
            if pending is not None and stopper.reason is not None:
                # Read in the instant the run stopped: reported like the jobs that were running.
                policy.interrupted(pending, stopper.reason)
            aclose = getattr(jobs, "aclose", None)
            if aclose is not None:
                await aclose()


async def _stagger(seconds: float, failure_seen: asyncio.Event) -> None:
    """Wait before starting the next racer, but no longer once the previous one has failed."""
    try:
        async with asyncio.timeout(seconds):
            await failure_seen.wait()
    except TimeoutError:
        pass
