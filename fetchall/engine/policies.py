"""What each mode does with an outcome, and what it reports when the run ends.

A policy never starts or cancels anything itself: it says "stop" through the run's
:class:`~fetchall.engine.stopping.Stopper`, and the scheduler does the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal, Protocol, assert_never

from fetchall.engine.stopping import Stopper, StopReason
from fetchall.models import ErrorKind, FetchError, Job, Mode, Result, result_for

ResultCallback = Callable[[Result], None]
BodyDropper = Callable[[str], None]
"""Removes a saved body (by its ``saved_to``) whose job is reported stopped after all."""


def stopped_result(
    job: Job, reason: StopReason, *, attempts: int = 0, elapsed_ms: int = 0
) -> Result:
    """The result of a job stopped by ``reason``: a ``deadline`` failure or ``cancelled``,
    with the ``attempts`` it made and the time it took (none for a job never started).

    Each of the job's checks is reported as not judged, however far the job got.
    """
    match reason:
        case StopReason.DEADLINE:
            kind = ErrorKind.DEADLINE
        case (
            StopReason.SIBLING_FAILED
            | StopReason.WINNER_FOUND
            | StopReason.MAX_FAILURES
            | StopReason.INTERRUPTED
            | StopReason.OUTPUT_CLOSED
            | StopReason.INVALID_INPUT
        ):
            kind = ErrorKind.CANCELLED
        case _:  # pragma: no cover (unreachable: the cases above name every member)
            assert_never(reason)
    error = FetchError(kind, reason.value)
    return result_for(job, error=error, attempts=attempts, elapsed_ms=elapsed_ms)


def stopped_instead(result: Result, job: Job, reason: StopReason) -> Result:
    """``result``, which came in the instant the run stopped, reported as stopped."""
    return stopped_result(job, reason, attempts=result.attempts, elapsed_ms=result.elapsed_ms)


class Counts:
    """Running totals that every policy keeps: what was reported so far."""

    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self.cancelled = 0
        self.warnings = 0
        """Of the ok, those with a warning."""

    def add(self, result: Result) -> None:
        """Count one reported result."""
        if result.ok:
            self.ok += 1
            if result.warnings is not None:
                self.warnings += 1
        elif result.cancelled:
            self.cancelled += 1
        else:
            self.failed += 1


class Stagger:
    """The pause between starting one racer of ``first`` and the next: ``seconds`` long, or
    until the racer started last fails, whichever comes first."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._racer_failed = asyncio.Event()

    def started(self) -> None:
        """A racer has just started: the next one waits for it."""
        self._racer_failed.clear()

    def failed(self) -> None:
        """A racer failed: the next one need not wait any longer."""
        self._racer_failed.set()

    async def wait(self) -> None:
        """Wait before starting the next racer."""
        try:
            async with asyncio.timeout(self._seconds):
                await self._racer_failed.wait()
        except TimeoutError:
            pass  # the racer before is still running: the next one starts anyway


class Policy(Protocol):
    """What a mode does with each outcome, and how it ends (one per :class:`Mode`)."""

    counts: Counts
    stagger: Stagger | None
    """The pause between starts, when the mode has one (``first`` with ``--stagger``)."""

    def finished(self, job: Job, result: Result) -> None:
        """``job`` ended on its own, well or badly, as ``result``."""

    def interrupted(
        self, job: Job, reason: StopReason, *, attempts: int = 0, elapsed_ms: int = 0
    ) -> None:
        """``job`` was running (``attempts`` made, for ``elapsed_ms``) or waiting when the
        run stopped."""

    def close(self) -> None:
        """The run is over: report whatever is still held back."""


class _Streaming:
    """What ``independent`` and ``first`` share: each result is emitted as it arrives."""

    stagger: Stagger | None = None
    _judge: Callable[[Result], None]
    """What the mode does with a result that came before any stop."""

    def __init__(
        self, emit: ResultCallback, stopper: Stopper, drop_body: BodyDropper | None
    ) -> None:
        self.counts = Counts()
        self._emit = emit
        self._stopper = stopper
        self._drop_body = drop_body

    def interrupted(
        self, job: Job, reason: StopReason, *, attempts: int = 0, elapsed_ms: int = 0
    ) -> None:
        self._report(stopped_result(job, reason, attempts=attempts, elapsed_ms=elapsed_ms))

    def finished(self, job: Job, result: Result) -> None:
        if self._stopper.reason is not None:
            # Ended in the instant between the stop and the cancellation: it is reported like
            # the jobs still running then, so a stop's outcome does not depend on that race
            # (``--max-failures N`` reports exactly N failures, ``first`` exactly one winner),
            # and a job reported cancelled keeps no body.
            if result.saved_to is not None and self._drop_body is not None:
                self._drop_body(result.saved_to)
            self._report(stopped_instead(result, job, self._stopper.reason))
        else:
            self._judge(result)

    def close(self) -> None:
        pass  # every result was emitted as it came

    def _report(self, result: Result) -> None:
        self.counts.add(result)
        self._emit(result)


class IndependentPolicy(_Streaming):
    """Every job counts on its own; ``max_failures`` failures stop the run."""

    def __init__(
        self,
        emit: ResultCallback,
        stopper: Stopper,
        max_failures: int | None,
        drop_body: BodyDropper | None = None,
    ) -> None:
        super().__init__(emit, stopper, drop_body)
        self._max_failures = max_failures

    def _judge(self, result: Result) -> None:
        self._report(result)
        if self._max_failures is not None and self.counts.failed >= self._max_failures:
            self._stopper.stop(StopReason.MAX_FAILURES)


class FirstSuccessPolicy(_Streaming):
    """The first success stops the run; a success after it lost the race and is ``cancelled``.

    Results are emitted as they come, so memory stays O(limit); the formatters decide which
    of them a user sees (in ``text`` and ``jsonl``, only the winner). With a ``stagger``, each
    racer starts that long after the previous one, or at once when the previous one failed.
    """

    def __init__(
        self,
        emit: ResultCallback,
        stopper: Stopper,
        stagger: float = 0.0,
        drop_body: BodyDropper | None = None,
    ) -> None:
        super().__init__(emit, stopper, drop_body)
        self.stagger = Stagger(stagger) if stagger > 0 else None

    def _judge(self, result: Result) -> None:
        if result.ok:
            self._stopper.stop(StopReason.WINNER_FOUND)
        elif self.stagger is not None:
            self.stagger.failed()
        self._report(result)


class AllOrNothingPolicy:
    """Results are held until the end; one failure turns every other job into ``cancelled``."""

    stagger: Stagger | None = None

    def __init__(self, emit: ResultCallback, stopper: Stopper, jobs: list[Job]) -> None:
        self.counts = Counts()
        self._emit = emit
        self._stopper = stopper
        self._jobs = jobs
        self._results: dict[int, Result] = {}

    def finished(self, job: Job, result: Result) -> None:
        self._results[result.index] = result
        if not result.ok:
            self._stopper.stop(StopReason.SIBLING_FAILED)

    def interrupted(
        self, job: Job, reason: StopReason, *, attempts: int = 0, elapsed_ms: int = 0
    ) -> None:
        result = stopped_result(job, reason, attempts=attempts, elapsed_ms=elapsed_ms)
        self._results[job.index] = result

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
                result = stopped_instead(result, job, shown)
            self.counts.add(result)
            self._emit(result)

    @property
    def committed(self) -> bool:
        """Whether every job succeeded, so that saved bodies may be kept."""
        if self._stopper.reason is not None or len(self._results) != len(self._jobs):
            return False
        return all(result.ok for result in self._results.values())


def streaming_policy_for(
    mode: Literal[Mode.INDEPENDENT, Mode.FIRST],
    emit: ResultCallback,
    stopper: Stopper,
    *,
    max_failures: int | None,
    stagger: float,
    drop_body: BodyDropper | None = None,
) -> Policy:
    """The policy of a mode whose results stream out as they come (all but ``all``);
    ``drop_body`` removes the saved body of a job reported stopped after all."""
    match mode:
        case Mode.FIRST:
            return FirstSuccessPolicy(emit, stopper, stagger, drop_body)
        case Mode.INDEPENDENT:
            return IndependentPolicy(emit, stopper, max_failures, drop_body)
        case _:  # pragma: no cover (unreachable: the cases above name every member)
            assert_never(mode)
